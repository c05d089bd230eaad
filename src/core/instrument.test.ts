import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KestrelError } from './errors.ts';
import { createInstrument, matchesSymbol, roundPricePassive, roundSizeDown } from './instrument.ts';

const spec = {
  symbol: 'BTCUSDT',
  exchange: 'X',
  marketType: 'SWAP' as const,
  base: 'BTC',
  quote: 'USDT',
  tickSize: 0.1,
  lotSize: 0.001,
};

describe('instrument', () => {
  it('derives decimals and defaults', () => {
    const instrument = createInstrument(spec);
    assert.equal(instrument.priceDecimals, 1);
    assert.equal(instrument.sizeDecimals, 3);
    assert.equal(instrument.settle, 'USDT');
    assert.equal(instrument.minSize, 0.001);
    assert.equal(instrument.contractSize, 1);
    assert.equal(instrument.venueSymbol, 'BTCUSDT');
    assert.ok(Object.isFrozen(instrument));
  });

  it('refuses bad fields by name and value', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['zero tick', { tickSize: 0 }, 'tickSize'],
      ['NaN lot', { lotSize: Number.NaN }, 'lotSize'],
      ['unknown market type', { marketType: 'OPTION' }, 'marketType'],
      ['fee in percent', { takerFee: 0.5 }, 'takerFee'],
      ['empty symbol', { symbol: '' }, 'symbol'],
      ['negative min notional', { minNotional: -1 }, 'minNotional'],
    ];
    for (const [name, patch, field] of cases) {
      assert.throws(
        () => createInstrument({ ...spec, ...patch } as never),
        (error: unknown) =>
          error instanceof KestrelError && error.field === field && error.message.includes(field),
        name,
      );
    }
  });

  it('rounds sizes down and prices to the passive side', () => {
    const instrument = createInstrument(spec);
    assert.equal(roundSizeDown(instrument, 0.0129), 0.012);
    assert.equal(roundPricePassive(instrument, 64000.07, 'BUY'), 64000);
    assert.equal(roundPricePassive(instrument, 64000.07, 'SELL'), 64000.1);
    assert.equal(roundPricePassive(instrument, 64000.1, 'SELL'), 64000.1);
  });

  it('matches a market by any name a strategy might use on any venue', () => {
    const ccxt = createInstrument({ ...spec, symbol: 'BTC/USDT:USDT', venueSymbol: 'BTCUSDT' });
    for (const name of ['BTC/USDT:USDT', 'BTCUSDT', 'btc-usdt', 'BTC'])
      assert.ok(matchesSymbol(ccxt, name), name);
    assert.ok(!matchesSymbol(ccxt, 'ETHUSDT'));
    const lighter = createInstrument({ ...spec, symbol: 'BTC', quote: 'USDC', venueSymbol: '1' });
    for (const name of ['BTC', 'BTCUSDC', '1']) assert.ok(matchesSymbol(lighter, name), name);
  });
});
