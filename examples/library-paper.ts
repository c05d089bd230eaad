/**
 * The library on its own, without the command line: a TradingManager over the paper venue (the
 * simulated venue in wall-clock time, fed here by a synthetic market), an order awaited to its
 * first verdict, one tracked at once and canceled while still PENDING, a batch, and the venue's
 * health as Prometheus text.
 *
 * Run: node --import tsx examples/library-paper.ts
 */
import {
  AccountProcessor,
  createInstrument,
  createMetricsRegistry,
  createPaperVenue,
  createSyntheticMarket,
  HealthMonitor,
  type Quote,
  stderrLogger,
  systemClock,
  TradingManager,
} from 'kestrel';

// The paper venue's exchange is `paper`: its instruments (and the broker) go by that name
const btc = createInstrument({
  symbol: 'BTCUSDT',
  exchange: 'paper',
  marketType: 'SWAP',
  base: 'BTC',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.1,
  lotSize: 0.001,
  minNotional: 5,
  makerFee: 0.0002,
  takerFee: 0.0005,
});

const venue = createPaperVenue({
  instruments: [btc],
  balances: [{ currency: 'USDT', total: 10_000, free: 10_000, locked: 0 }],
  feed: createSyntheticMarket({
    instruments: [btc],
    start: Date.now(),
    durationMs: 3_600_000,
    seed: 7,
  }),
  clock: systemClock,
  logger: stderrLogger,
  speed: 10,
});
const broker = venue.broker;

const account = new AccountProcessor({
  exchange: venue.exchange,
  clock: systemClock,
  balances: await venue.fetchBalances(),
});
const health = new HealthMonitor({ clock: systemClock });
const trading = new TradingManager({ brokers: [broker], account, health, clock: systemClock });

account.subscribe((result) => {
  if (result.outcome === 'applied' && result.order)
    console.log(result.order.clientId, result.change, result.order.status);
});

// The market: the first quote tells where to price
const quote = await new Promise<Quote>((resolve) => {
  void venue.start({
    instruments: [btc],
    onMarket: (event) => {
      if (event.type === 'quote') resolve(event);
    },
  });
});

const order = await trading.trade(btc, 0.01, quote.bid - 50); // resolves on the first venue verdict
console.log(`a bid for 0.01 at ${quote.bid - 50}: ${order.status}`);
const id = trading.tradeAsync(btc, -0.01, quote.ask + 50, { postOnly: true }); // tracked at once
await trading.cancelOrder(id); // works while still PENDING
await trading.submitOrders([{ instrument: btc, amount: 0.01, price: quote.bid - 100 }]);
await trading.cancelOrders(btc);
console.log(
  await createMetricsRegistry({ health: () => health, account: () => account }).metrics(),
);
await venue.stop();
