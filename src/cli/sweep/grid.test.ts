import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combinationAt, gridSize, parseAxis, parseGrid, runDirName } from './grid.ts';
import type { SweepRow } from './output.ts';
import { rank } from './output.ts';

describe('sweep grid', () => {
  it('reads lists and inclusive ranges, with the step decimals and no float noise', () => {
    assert.deepEqual(parseAxis('edgeBps=1,2,3'), { name: 'edgeBps', values: ['1', '2', '3'] });
    assert.deepEqual(parseAxis('size=0.01:0.05:0.01').values, [
      '0.01',
      '0.02',
      '0.03',
      '0.04',
      '0.05',
    ]);
    assert.deepEqual(parseAxis('x=0.1:0.3:0.1').values, ['0.1', '0.2', '0.3']);
    assert.deepEqual(parseAxis('n=5:5:1').values, ['5']);
    assert.deepEqual(parseAxis('symbol=BTCUSDT, ETHUSDT').values, ['BTCUSDT', 'ETHUSDT']);
  });

  it('refuses empty and malformed values, naming the argument', () => {
    const cases: Array<[string, RegExp]> = [
      ['edgeBps=', /--param edgeBps=: no values for edgeBps/],
      ['edgeBps', /must be NAME=VALUES/],
      ['=1,2', /must be NAME=VALUES/],
      ['edgeBps=1,,2', /a list item is empty/],
      ['size=0.05:0.01:0.01', /the range is empty: end 0.01 is below start 0.05/],
      ['size=1:2', /START:END:STEP/],
      ['size=1:x:1', /START:END:STEP/],
      ['size=1:2:0', /the step must be above 0/],
      ['size=0:1e9:1', /more than 100000/],
    ];
    for (const [spec, message] of cases)
      assert.throws(
        () => parseAxis(spec),
        (e: Error) => message.test(e.message),
        spec,
      );
    assert.throws(() => parseGrid(['a=1', 'a=2']), /given twice/);
    assert.throws(() => parseGrid([]), /at least one --param/);
  });

  it('enumerates combinations with the last parameter fastest', () => {
    const axes = parseGrid(['a=1,2', 'b=x,y,z']);
    assert.equal(gridSize(axes), 6);
    assert.deepEqual(combinationAt(axes, 0).params, { a: '1', b: 'x' });
    assert.deepEqual(combinationAt(axes, 4).params, { a: '2', b: 'y' });
    assert.equal(runDirName(combinationAt(axes, 4)), '0005-a=2_b=y');
  });

  it('ranks by the metric, lowest drawdown first, runs without the figure last', () => {
    const row = (index: number, sharpe: number | null, maxDrawdown: number): SweepRow => ({
      index,
      params: {},
      dirName: String(index),
      status: 'ok',
      error: undefined,
      figures: { sharpe, maxDrawdown } as SweepRow['figures'],
    });
    const rows = [row(0, 1, 0.3), row(1, null, 0.1), row(2, 3, 0.2)];
    assert.deepEqual(
      rank(rows, 'sharpe').map((r) => r.index),
      [2, 0, 1],
    );
    assert.deepEqual(
      rank(rows, 'maxDrawdown').map((r) => r.index),
      [1, 2, 0],
    );
  });
});
