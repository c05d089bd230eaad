import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientOrderId } from '../core/ids.ts';
import type { JournalOwner } from '../journal/journal.ts';
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
});
