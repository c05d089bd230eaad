import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIdsOf, createClientIdGenerator } from './ids.ts';

describe('client ids', () => {
  it('recognizes its own instance exactly, and any instance of its prefix without a tag', () => {
    const ids = createClientIdGenerator({ prefix: 'k', instanceTag: 'ab12', counterStart: 99 });
    const mine = ids.next();
    assert.equal(mine, 'kab12-2s');
    const ofInstance = clientIdsOf('k', 'ab12');
    assert.equal(ofInstance(mine), true);
    assert.equal(ofInstance('kzz9-1'), false, 'another instance of the same owner');
    const ofOwner = clientIdsOf('k');
    assert.equal(ofOwner(mine), true);
    assert.equal(ofOwner('kzz9-1'), true);
    for (const foreign of ['kfoo', 'k-1', 'x_ab12-1', 'ext:123', 'kab12-', 'KAB12-1', 'kab12-1x-'])
      assert.equal(ofOwner(foreign), false, foreign);
  });

  it('says which ids it may still hand out: its shape with a later counter', () => {
    const ids = createClientIdGenerator({ prefix: 'k', instanceTag: 'ab12', counterStart: 99 });
    assert.equal(ids.next(), 'kab12-2s');
    const cases: Array<[string, boolean]> = [
      ['kab12-2s', false],
      ['kab12-2r', false],
      ['kab12-z', false],
      ['kab12-2t', true],
      ['kab12-30', true],
      ['kab12-100', true],
      ['kab12-02t', false],
      ['kab12-2T', false],
      ['kab12-', false],
      ['kzz9-2t', false],
      ['kab12-2t-x', false],
    ];
    for (const [id, expected] of cases) assert.equal(ids.wouldIssue?.(id), expected, id);
  });
});
