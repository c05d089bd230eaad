import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import { systemClock } from '../../engine/clock.ts';
import { createMemoryLogger } from '../../engine/logger.ts';
import { loadCcxtConfig } from './config.ts';
import { describeProfile } from './profile.ts';
import { genericProfile } from './profiles/generic.ts';
import { PROFILES } from './profiles/registry.ts';
import { createCcxtVenue } from './venue.ts';

describe('venue profiles', () => {
  it('have one per exchange of the issue, each for a ccxt pro class, with batch sizes within what ccxt allows', () => {
    assert.deepEqual([...PROFILES.keys()].sort(), [
      'binance',
      'binanceusdm',
      'bybit',
      'hyperliquid',
      'okx',
    ]);
    for (const [id, profile] of PROFILES) {
      const Exchange = (ccxt.pro as unknown as Record<string, new () => { features?: unknown }>)[
        id
      ];
      assert.ok(Exchange, `ccxt pro has ${id}`);
      assert.equal(profile.checked, true);
      assert.deepEqual(profile.unchecked, []);
      for (const size of Object.values(profile.batch))
        assert.ok(size !== undefined && size >= 2 && size <= 20);
    }
  });

  it('stand in for an exchange without one with ccxt generic behaviour, naming what could not be checked', () => {
    const kraken = genericProfile(new ccxt.pro.kraken() as never);
    assert.equal(kraken.checked, false);
    assert.equal(kraken.clientIdParam, undefined, 'a PENDING cancel waits for the venue id');
    assert.equal(kraken.hedge, undefined);
    assert.match(
      describeProfile(kraken, 'oneWay'),
      /^venue profile: none for kraken, ccxt's generic behaviour \(not checked: the client-id format.*error codes.*trade-history paging.*position mode/,
    );
  });

  it('print what a run drives: the profile, how our clientId travels, cancels, batches and the position mode', () => {
    const bybit = PROFILES.get('bybit');
    assert.ok(bybit);
    assert.equal(
      describeProfile(bybit, 'hedge'),
      [
        'venue profile: Bybit v5 (linear perpetuals and spot) (ccxt bybit), hedge mode (a LONG and a SHORT leg per market)',
        '  client ids: orderLinkId (1 to 36 of letters, digits, - and _), encoded where ours does not fit; cancels by orderLinkId; 10 per spot batch, 10 per swap batch',
      ].join('\n'),
    );
  });

  it('refuse hedge mode at creation where the venue has none (Hyperliquid)', () => {
    assert.throws(
      () =>
        createCcxtVenue(
          loadCcxtConfig({
            exchange: 'hyperliquid',
            env: {},
            overrides: { positionMode: 'hedge' },
          }),
          { clock: systemClock, logger: createMemoryLogger() },
        ),
      (error: unknown) =>
        (error as { code?: string; field?: string }).code === 'INVALID_CONFIG' &&
        (error as { field?: string }).field === 'positionMode',
    );
  });
});
