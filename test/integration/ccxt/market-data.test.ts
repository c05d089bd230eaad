import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BookSnapshot, Quote, Trade } from '../../../src/core/market-data.ts';
import { freshSetupPerTest, until } from './harness.ts';

describe('ccxt market data from the emulator feeds onMarket', () => {
  const start = freshSetupPerTest();

  it('turns watchBidsAsks and watchTrades into quotes and trades, and resubscribes after a drop', async () => {
    const { emulator, market, btc, venue } = await start();
    await until(() => venue.stats().marketConnected, 'the market stream');
    await until(() => {
      if (market.some((e) => e.type === 'quote' && e.bid === 64010.1)) return true;
      emulator.setQuote('BTCUSDT', 64010.1, 64010.2, 1.5, 0.25);
      emulator.setQuote('BTCUSDT', 64010, 64010.2, 1.5, 0.25);
      return false;
    }, 'the quote');
    const quote = market.find((e): e is Quote => e.type === 'quote' && e.bid === 64010.1);
    assert.equal(quote?.instrument, btc);
    assert.equal(quote?.ask, 64010.2);
    assert.equal(quote?.bidSize, 1.5);
    assert.equal(quote?.askSize, 0.25);
    // Prints before the trades subscription lands are not replayed (as on Binance): print until one is seen
    await until(() => {
      if (market.some((e) => e.type === 'trade')) return true;
      emulator.printTrade('BTCUSDT', 64010.2, 0.125, 'BUY');
      return false;
    }, 'the trade');
    const trade = market.find((e): e is Trade => e.type === 'trade');
    assert.equal(trade?.instrument, btc);
    assert.equal(trade?.price, 64010.2);
    assert.equal(trade?.size, 0.125);
    assert.equal(trade?.side, 'BUY');

    emulator.faults.dropConnections({ stream: 'market' });
    await until(
      () => venue.stats().marketReconnects >= 1 && venue.stats().marketConnected,
      'the market reconnect',
    );
    await until(() => {
      if (market.some((e) => e.type === 'quote' && e.bid === 64020)) return true;
      emulator.setQuote('BTCUSDT', 64020, 64020.1, 1, 1);
      emulator.setQuote('BTCUSDT', 64019.9, 64020.1, 1, 1);
      return false;
    }, 'a quote after the reconnect');
  });

  it('turns watchOrderBook into book snapshots', async () => {
    const { emulator, market, btc, venue } = await start({
      overrides: { marketData: { quotes: 'orderBook', trades: false, depth: 2 } },
    });
    await until(() => venue.stats().marketConnected, 'the market stream');
    emulator.setBook(
      'BTCUSDT',
      [
        [64000, 1],
        [63999.9, 2],
        [63999.8, 3],
      ],
      [
        [64000.1, 0.5],
        [64000.2, 0.75],
      ],
    );
    await until(
      // The setup's quote made a one-level book at 64000 too: wait for the book set here
      () =>
        market.some(
          (e) => e.type === 'book' && e.bids[1]?.[0] === 63999.9 && e.asks[0]?.[0] === 64000.1,
        ),
      'the book',
    );
    const book = market.findLast(
      (e): e is BookSnapshot => e.type === 'book' && e.bids[1]?.[0] === 63999.9,
    );
    assert.equal(book?.instrument, btc);
    assert.deepEqual(book?.bids, [
      [64000, 1],
      [63999.9, 2],
    ]);
    assert.deepEqual(book?.asks, [
      [64000.1, 0.5],
      [64000.2, 0.75],
    ]);
  });
});
