import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { MarketEvent } from '../../../src/core/market-data.ts';
import { until } from '../../helpers/wait.ts';
import { kestrelOn } from './harness.ts';
import { HyperliquidVenue } from './hyperliquid-venue.ts';
import { hasCcxtStatic, SKIP_MESSAGE } from './static-fixtures.ts';

const WALLET = '0x15f43D1f2DeE81424aFd891943262aa90F22cc2A';
const PRIVATE_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';

/**
 * Hyperliquid has no bids/asks stream and no multi-market book or trades stream: the profile's
 * fallbacks (one l2Book and one trades subscription per market, quotes from the top of the
 * book) through real ccxt pro, against a WebSocket on 127.0.0.1 speaking Hyperliquid's
 * documented subscription protocol (`{"method":"subscribe","subscription":{...}}`, pushes on
 * `l2Book` and `trades` channels).
 */
describe('conformance: Hyperliquid market data fallbacks through real ccxt pro', {
  skip: hasCcxtStatic ? false : SKIP_MESSAGE,
}, () => {
  let server: WebSocketServer;
  const subscriptions: Record<string, unknown>[] = [];
  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as {
          method?: string;
          subscription?: Record<string, unknown>;
        };
        if (message.method !== 'subscribe' || message.subscription === undefined) return;
        subscriptions.push(message.subscription);
        socket.send(JSON.stringify({ channel: 'subscriptionResponse', data: message }));
        const coin = message.subscription['coin'];
        const time = Date.now();
        if (message.subscription['type'] === 'l2Book')
          socket.send(
            JSON.stringify({
              channel: 'l2Book',
              data: {
                coin,
                time,
                levels: [[{ px: '60000', sz: '1.5', n: 2 }], [{ px: '60001', sz: '0.7', n: 1 }]],
              },
            }),
          );
        if (message.subscription['type'] === 'trades')
          socket.send(
            JSON.stringify({
              channel: 'trades',
              data: [
                {
                  coin,
                  side: 'A',
                  px: '60000',
                  sz: '0.25',
                  hash: `0x${'ab'.repeat(32)}`,
                  time,
                  tid: 77,
                },
              ],
            }),
          );
      });
    });
  });
  after(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('streams quotes from the top of each market’s book and each market’s trades, one subscription per market', async () => {
    const hl = new HyperliquidVenue();
    const port = (server.address() as AddressInfo).port;
    const kestrel = await kestrelOn({
      exchange: 'hyperliquid',
      wire: hl.wire,
      apiKey: WALLET,
      secret: PRIVATE_KEY,
      url: `http://127.0.0.1:${port}`,
    });
    const events: MarketEvent[] = [];
    try {
      const btc = kestrel.instrument('BTC/USDC:USDC');
      const eth = kestrel.instrument('ETH/USDC:USDC');
      await kestrel.venue.start({
        instruments: [btc, eth],
        onMarket: (event) => events.push(event),
      });
      await until(
        () =>
          ['BTC', 'ETH'].every((coin) =>
            events.some((e) => e.type === 'quote' && e.instrument.base === coin),
          ),
        'a quote per market',
      );
      await until(() => events.filter((e) => e.type === 'trade').length >= 2, 'a trade per market');
      const quote = events.find((e) => e.type === 'quote' && e.instrument.symbol === btc.symbol);
      assert.deepEqual(
        quote?.type === 'quote' ? [quote.bid, quote.bidSize, quote.ask, quote.askSize] : [],
        [60_000, 1.5, 60_001, 0.7],
      );
      const trade = events.find((e) => e.type === 'trade' && e.instrument.symbol === btc.symbol);
      assert.deepEqual(trade?.type === 'trade' ? [trade.price, trade.size, trade.side] : [], [
        60_000,
        0.25,
        'SELL',
      ]);
      const market = subscriptions.filter((s) => s['type'] === 'l2Book' || s['type'] === 'trades');
      assert.deepEqual(market.map((s) => `${s['type']} ${s['coin']}`).sort(), [
        'l2Book BTC',
        'l2Book ETH',
        'trades BTC',
        'trades ETH',
      ]);
    } finally {
      await kestrel.close();
    }
    assert.deepEqual(hl.wire.violations, []);
  });
});
