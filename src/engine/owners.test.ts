import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMIT_BUY_REPORT } from '../../test/helpers/requests.ts';
import type { AccountEvent } from '../core/events.ts';
import { clientOrderId, venueOrderId } from '../core/ids.ts';
import type { JournalOwner } from '../journal/journal.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { createMemoryLogger } from './logger.ts';
import { OwnerDirectory } from './owners.ts';

const self: JournalOwner = { owner: 'ka', clientIdPrefix: 'ka', instanceTag: 'aa1', slot: 1 };
const sibling: JournalOwner = { owner: 'kb', clientIdPrefix: 'kb', instanceTag: 'bb2', slot: 2 };

function directory(listed: JournalOwner[]) {
  let loads = 0;
  const owners = new OwnerDirectory({
    self,
    load: async () => {
      loads += 1;
      return listed;
    },
    slotOf: (key) => (/^\d+$/.test(key) ? Number(key) % 64 : undefined),
    refreshIntervalMs: 60_000,
  });
  return { owners, loads: () => loads };
}

describe('OwnerDirectory', () => {
  it('tells own, sibling and other orders apart by clientId head and correlation-key slot', async () => {
    const { owners } = directory([self, sibling]);
    await owners.refresh();
    assert.deepEqual(
      owners.siblings().map((o) => o.owner),
      ['kb'],
    );
    const cases: Array<[string, Parameters<OwnerDirectory['ownership']>[0], string]> = [
      ['own clientId', { clientId: clientOrderId('kaaa1-lz8x2k') }, 'own'],
      ["sibling's clientId", { clientId: clientOrderId('kbbb2-lz8x2k') }, 'sibling'],
      ['a manual order', { clientId: clientOrderId('web_123') }, 'other'],
      ['kestrel-shaped, unlisted owner', { clientId: clientOrderId('kczz9-1') }, 'other'],
      [
        "sibling's correlation key (slot 2)",
        { correlationKey: String(64 * 2 ** 40 + 2) },
        'sibling',
      ],
      ['own correlation key (slot 1)', { correlationKey: String(64 * 2 ** 40 + 1) }, 'own'],
      ['an unlisted slot', { correlationKey: String(64 * 2 ** 40 + 9) }, 'other'],
    ];
    for (const [name, ref, expected] of cases) assert.equal(owners.ownership(ref), expected, name);
  });

  it('takes an unlisted Kestrel-shaped id on the stream for a sibling, and reads the owners again', async () => {
    const listed = [self];
    const { owners, loads } = directory(listed);
    await owners.refresh();
    assert.equal(owners.isSibling({ clientId: clientOrderId('web_123') }), false);
    assert.equal(loads(), 1, 'a manual order asks nothing');
    // A sibling that started after the last read: not adopted meanwhile
    listed.push(sibling);
    assert.equal(owners.isSibling({ clientId: clientOrderId('kbbb2-1') }), true);
    await owners.refresh();
    assert.equal(owners.ownership({ clientId: clientOrderId('kbbb2-1') }), 'sibling');
    assert.equal(owners.isSibling({ clientId: clientOrderId('kaaa1-1') }), false, 'own');
  });

  it("knows a sibling's order by its venue id alone once it saw the id next to the sibling's clientId or slot", async () => {
    const { owners } = directory([self, sibling]);
    await owners.refresh();
    const byVenueId = (id: string) => ({ venueOrderId: venueOrderId(id) });
    assert.equal(owners.ownership(byVenueId('V1')), 'other', 'never seen: no owner');
    assert.equal(
      owners.isSibling({ clientId: clientOrderId('kbbb2-7'), venueOrderId: venueOrderId('V1') }),
      true,
    );
    assert.equal(
      owners.ownership({
        correlationKey: String(64 * 2 ** 40 + 2),
        venueOrderId: venueOrderId('V2'),
      }),
      'sibling',
    );
    // Our own orders' venue ids are not remembered: the account knows those
    owners.ownership({ clientId: clientOrderId('kaaa1-7'), venueOrderId: venueOrderId('V3') });
    assert.equal(owners.isSibling(byVenueId('V1')), true);
    assert.equal(owners.ownership(byVenueId('V2')), 'sibling');
    assert.equal(owners.ownership(byVenueId('V3')), 'other');
    // A reference naming a clientId is judged by it, whatever venue id it carries
    assert.equal(
      owners.ownership({ clientId: clientOrderId('web_1'), venueOrderId: venueOrderId('V1') }),
      'other',
    );
  });

  it('forgets the oldest sibling venue ids past its bound', async () => {
    const owners = new OwnerDirectory({
      self,
      load: async () => [self, sibling],
      venueIdsKept: 2,
    });
    await owners.refresh();
    for (const id of ['V1', 'V2', 'V3'])
      owners.ownership({
        clientId: clientOrderId(`kbbb2-${id.toLowerCase()}`),
        venueOrderId: venueOrderId(id),
      });
    assert.deepEqual(
      ['V1', 'V2', 'V3'].map((id) => owners.ownership({ venueOrderId: venueOrderId(id) })),
      ['other', 'sibling', 'sibling'],
    );
  });
});

describe('sibling events by venue id', () => {
  it("skips and counts an update naming a sibling's order by venue id only: never adopted, never refused", async () => {
    const { owners } = directory([self, sibling]);
    await owners.refresh();
    const logger = createMemoryLogger('debug');
    const account = new AccountProcessor({
      exchange: 'TEST',
      clock: new SimulatedClock(1),
      logger,
      isSibling: (ref) => owners.isSibling(ref),
    });
    const report = LIMIT_BUY_REPORT;
    const events: AccountEvent[] = [
      // The venue's acknowledgement names the sibling's clientId and the venue id
      {
        type: 'orderAccepted',
        exchange: 'TEST',
        clientId: clientOrderId('kbbb2-1'),
        venueOrderId: venueOrderId('V1'),
        report,
        time: 2,
      },
      // Later updates name the venue id only
      {
        type: 'orderAmended',
        exchange: 'TEST',
        venueOrderId: venueOrderId('V1'),
        price: 101,
        time: 3,
      },
      // A report without a client id would otherwise be adopted as EXTERNAL
      {
        type: 'orderAccepted',
        exchange: 'TEST',
        venueOrderId: venueOrderId('V1'),
        report,
        time: 4,
      },
      { type: 'orderCanceled', exchange: 'TEST', venueOrderId: venueOrderId('V1'), time: 5 },
    ];
    const outcomes: string[] = [];
    account.subscribe((result) => outcomes.push(result.outcome));
    for (const event of events) account.apply(event);
    assert.deepEqual(outcomes, ['ignored', 'ignored', 'ignored', 'ignored']);
    assert.equal(account.siblingEvents, 4, 'each counted as a sibling event');
    assert.deepEqual(account.getOrders(), [], 'nothing adopted');
    assert.deepEqual(
      logger.records.filter((r) => r.message === 'account refused event'),
      [],
      'nothing refused as an unknown order',
    );
    // A venue id no sibling was seen with is still the account's business: adopted as EXTERNAL
    account.apply({
      type: 'orderAccepted',
      exchange: 'TEST',
      venueOrderId: venueOrderId('V9'),
      report,
      time: 6,
    });
    assert.deepEqual(
      account.getOrders().map((o) => [o.clientId, o.origin]),
      [['ext:V9', 'EXTERNAL']],
    );
  });
});
