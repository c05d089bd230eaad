/**
 * Streaming indicators for strategies, from trading-signals (a maintained TypeScript library whose
 * indicators update one value at a time, as bars close): `new EMA(20)`, then `ema.add(bar.close)`
 * per bar and `ema.getResult()` (null until it has enough inputs; `isStable` says when).
 *
 * - `SMA(n)`, `EMA(n)` (seeded with the first price, smoothing 2 / (n + 1))
 * - `RSI(n)` (Wilder's smoothing; 0..100)
 * - `ATR(n)` (Wilder's smoothing of the true range; takes `{ high, low, close }`, so a Bar)
 * - `BollingerBands(n, k = 2)` (SMA ± k population standard deviations; `{ lower, middle, upper }`)
 *
 * Their values match the published Tulip Indicators reference values (see indicators.test.ts).
 */
export { ATR, BollingerBands, EMA, RSI, SMA } from 'trading-signals';
