import type { Instrument } from '../src/core/instrument.ts';
import { roundPricePassive } from '../src/core/instrument.ts';
import { defaultInstruments } from '../src/emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../src/emulators/binance-usdm/emulator.ts';
import { AccountProcessor } from '../src/engine/account-processor.ts';
import { systemClock } from '../src/engine/clock.ts';
import { HealthMonitor } from '../src/engine/health-monitor.ts';
import { silentLogger } from '../src/engine/logger.ts';
import { TradingManager } from '../src/engine/trading-manager.ts';
import { minimumSize } from '../src/runtime/session.ts';
import { loadCcxtConfig } from '../src/venues/ccxt/config.ts';
import { createExchange } from '../src/venues/ccxt/exchange.ts';
import { createCcxtVenue } from '../src/venues/ccxt/venue.ts';
import type { Figure } from './harness.ts';
import { BENCH_RISK_LIMITS, percentile } from './harness.ts';

interface BareOrder {
  readonly clientOrderId?: string;
  readonly status?: string;
}

interface BareExchange {
  loadHttpProxyAgent(): Promise<unknown>;
  loadMarkets(): Promise<unknown>;
  watchOrders(symbol?: string): Promise<BareOrder[]>;
  createOrder(
    symbol: string,
    type: string,
    side: string,
    amount: number,
    price: number,
    params: Record<string, unknown>,
  ): Promise<BareOrder>;
  cancelOrder(
    id: string | undefined,
    symbol: string,
    params: Record<string, unknown>,
  ): Promise<unknown>;
}

/**
 * Framework overhead on a real venue path: submit → acknowledgement (the first of the REST
 * reply and the stream push) through Kestrel's ccxt venue (TradingManager, account, health,
 * broker, stream) against bare ccxt createOrder + watchOrders, on the same local Binance USDⓈ-M
 * emulator, interleaved in rounds so both see the same machine.
 */
export async function benchCcxtOverhead(quick: boolean): Promise<Figure[]> {
  const instruments = defaultInstruments();
  const emulator = await startBinanceUsdmEmulator({ instruments });
  emulator.setQuote('BTCUSDT', 64_000, 64_000.1, 5, 5);
  const config = loadCcxtConfig({
    exchange: 'binanceusdm',
    url: emulator.url,
    apiKey: emulator.apiKey,
    secret: emulator.apiSecret,
    env: {},
  });
  try {
    // Kestrel's path
    const venue = createCcxtVenue(config, { clock: systemClock, logger: silentLogger });
    await venue.load();
    const instrument = venue.instruments.find((i) => i.venueSymbol === 'BTCUSDT') as Instrument;
    const account = new AccountProcessor({
      exchange: venue.exchange,
      clock: systemClock,
      logger: silentLogger,
      balances: await venue.fetchBalances(),
    });
    const trading = new TradingManager({
      brokers: [venue.broker],
      account,
      clock: systemClock,
      health: new HealthMonitor({ clock: systemClock }),
      logger: silentLogger,
      risk: BENCH_RISK_LIMITS,
    });
    await venue.start({ instruments: [instrument], onMarket: () => {} });
    const price = roundPricePassive(instrument, 64_000 * 0.9, 'BUY');
    const quantity = minimumSize(instrument, price);

    // Bare ccxt, configured the same way (same options, same rate limiter)
    const managed = createExchange(config, systemClock, 'private');
    const bare = managed.exchange as unknown as BareExchange;
    await bare.loadHttpProxyAgent();
    await bare.loadMarkets();
    const waiting = new Map<string, () => void>();
    let watching = true;
    const watchLoop = (async () => {
      while (watching) {
        try {
          for (const order of await bare.watchOrders(instrument.symbol)) {
            if (order.clientOrderId !== undefined) waiting.get(order.clientOrderId)?.();
          }
        } catch {
          if (!watching) return;
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const kestrel: number[] = [];
    const raw: number[] = [];
    const rounds = quick ? 3 : 10;
    const perRound = quick ? 10 : 20;
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < perRound; i++) {
        const started = performance.now();
        const order = await trading.trade(instrument, quantity, price, { postOnly: true });
        kestrel.push(performance.now() - started);
        await trading.cancelOrder(order);
      }
      for (let i = 0; i < perRound; i++) {
        const clientOrderId = `bare-${r}-${i}-${n++}`;
        const pushed = new Promise<void>((resolve) => waiting.set(clientOrderId, resolve));
        const started = performance.now();
        await Promise.race([
          bare.createOrder(instrument.symbol, 'limit', 'buy', quantity, price, {
            clientOrderId,
            timeInForce: 'GTX',
          }),
          pushed,
        ]);
        raw.push(performance.now() - started);
        waiting.delete(clientOrderId);
        await bare.cancelOrder(undefined, instrument.symbol, { origClientOrderId: clientOrderId });
      }
    }
    watching = false;
    await venue.stop();
    await managed.shutdown();
    await watchLoop.catch(() => {});
    const k = [...kestrel].sort((a, b) => a - b);
    const b = [...raw].sort((a, b2) => a - b2);
    const kp50 = percentile(k, 0.5);
    const bp50 = percentile(b, 0.5);
    return [
      {
        bench: 'ccxt overhead',
        metric: 'orders each way',
        value: kestrel.length,
        unit: 'orders',
        note: 'post-only, far from the touch, on the Binance USDⓈ-M emulator, interleaved rounds',
      },
      { bench: 'ccxt overhead', metric: 'Kestrel submit → ack p50', value: kp50, unit: 'ms' },
      {
        bench: 'ccxt overhead',
        metric: 'Kestrel submit → ack p90',
        value: percentile(k, 0.9),
        unit: 'ms',
      },
      { bench: 'ccxt overhead', metric: 'bare ccxt submit → ack p50', value: bp50, unit: 'ms' },
      {
        bench: 'ccxt overhead',
        metric: 'bare ccxt submit → ack p90',
        value: percentile(b, 0.9),
        unit: 'ms',
      },
      {
        bench: 'ccxt overhead',
        metric: 'ratio of medians',
        value: kp50 / bp50,
        unit: '×',
        target: '≤ 1.10',
      },
    ];
  } finally {
    await emulator.close();
  }
}
