/**
 * The indicators against published reference values: the Tulip Indicators test vectors
 * (tulipindicators.org, tests/untest.txt of TulipCharts/tulipindicators v0.9), fed one value at a
 * time as a strategy feeds closed bars.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ATR, BollingerBands, EMA, RSI, SMA } from './indicators.ts';

const CLOSE = [
  81.59, 81.06, 82.87, 83.0, 83.61, 83.15, 82.84, 83.99, 84.55, 84.36, 85.53, 86.54, 86.89, 87.77,
  87.29,
];
const HIGH = [
  82.15, 81.89, 83.03, 83.3, 83.85, 83.9, 83.33, 84.3, 84.84, 85.0, 85.9, 86.58, 86.98, 88.0, 87.87,
];
const LOW = [
  81.29, 80.64, 81.31, 82.65, 83.07, 83.11, 82.49, 82.3, 84.15, 84.11, 84.03, 85.39, 85.76, 87.17,
  87.01,
];

/** The results from the first stable one on, to `decimals` */
function stream<T>(
  indicator: { add(v: T): unknown; isStable: boolean; getResult(): unknown },
  inputs: readonly T[],
  pick: (result: never) => number = (r) => r,
  decimals = 2,
): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    indicator.add(input);
    if (indicator.isStable) out.push(pick(indicator.getResult() as never).toFixed(decimals));
  }
  return out;
}

describe('indicators against the Tulip Indicators reference values', () => {
  it('SMA(5)', () => {
    assert.deepEqual(stream(new SMA(5), CLOSE), [
      '82.43',
      '82.74',
      '83.09',
      '83.32',
      '83.63',
      '83.78',
      '84.25',
      '84.99',
      '85.57',
      '86.22',
      '86.80',
    ]);
  });

  it('EMA(5)', () => {
    assert.deepEqual(stream(new EMA(5), CLOSE), [
      '82.71',
      '82.86',
      '82.85',
      '83.23',
      '83.67',
      '83.90',
      '84.44',
      '85.14',
      '85.73',
      '86.41',
      '86.70',
    ]);
  });

  it('RSI(5)', () => {
    assert.deepEqual(
      stream(new RSI(5), CLOSE, (r) => r, 3),
      [
        '72.034',
        '64.927',
        '75.936',
        '79.796',
        '74.713',
        '83.033',
        '87.478',
        '88.755',
        '91.483',
        '78.498',
      ],
    );
  });

  it('ATR(5) from bars', () => {
    const bars = CLOSE.map((close, i) => ({ high: HIGH[i]!, low: LOW[i]!, close }));
    assert.deepEqual(stream(new ATR(5), bars), [
      '1.12',
      '1.05',
      '1.01',
      '1.21',
      '1.14',
      '1.09',
      '1.24',
      '1.23',
      '1.23',
      '1.21',
      '1.14',
    ]);
  });

  it('Bollinger bands(5, 2)', () => {
    const bands = (pick: 'lower' | 'middle' | 'upper') =>
      stream(new BollingerBands(5, 2), CLOSE, (r: Record<string, number>) => r[pick]!);
    assert.deepEqual(bands('lower'), [
      '80.53',
      '80.99',
      '82.53',
      '82.47',
      '82.42',
      '82.44',
      '82.51',
      '83.14',
      '83.54',
      '83.87',
      '85.29',
    ]);
    assert.deepEqual(bands('upper'), [
      '84.32',
      '84.49',
      '83.65',
      '84.16',
      '84.84',
      '85.12',
      '86.00',
      '86.85',
      '87.61',
      '88.57',
      '88.32',
    ]);
  });
});
