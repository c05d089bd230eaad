/**
 * keepFieldsDouble: the fields keep their values, and a shape it prepared does not change when a
 * fraction is first stored (the change that threw away optimized code at a backtest's first fill).
 * keepFieldsMutable: the fields keep their values (whether V8 still counts them as constants is
 * not something a test can read in a release build).
 * emptyObjectList: empty, and of the hidden class of a list holding objects (`[]` is not).
 * Shapes are read with V8's own `%HaveSameMap`, enabled for this file only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import type { Instrument } from './instrument.ts';
import { createPosition } from './position.ts';
import {
  emptyObjectList,
  keepFieldsDouble,
  keepFieldsMutable,
  keepFlagsMutable,
} from './tagged-fields.ts';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
  a: object,
  b: object,
) => boolean;

/** Each call a fresh literal site, so each test has a shape no other code touched */
const shapes = {
  plain: () => ({ name: 'x', total: 0, locked: 0 }),
  prepared: () => ({ name: 'y', total: 0, locked: 0, held: 0 }),
};

describe('keepFieldsDouble', () => {
  it('keeps the values the fields hold', () => {
    const target = { name: 'z', total: 3, locked: 0, note: 'n' };
    keepFieldsDouble(target, ['total', 'locked']);
    assert.deepEqual(target, { name: 'z', total: 3, locked: 0, note: 'n' });
  });

  it('leaves the shape as it is when a fraction is first stored', () => {
    // Without it: storing a fraction in a field that held small integers changes the shape
    const before = shapes.plain();
    const changed = shapes.plain();
    changed.total = 0.25;
    assert.equal(haveSameMap(before, changed), false);

    keepFieldsDouble(shapes.prepared(), ['total', 'locked', 'held']);
    const fresh = shapes.prepared();
    const filled = shapes.prepared();
    filled.total = 0.25;
    filled.locked = 1.5;
    assert.equal(haveSameMap(fresh, filled), true);
    assert.equal(filled.total, 0.25);
    assert.equal(fresh.total, 0);
  });

  it("prepares positions: a first fill's fractions keep a position's shape", () => {
    const empty = createPosition({} as Instrument);
    const held = createPosition({} as Instrument);
    held.quantity = 0.003;
    held.averagePrice = 64_000.5;
    held.costBasis = 192.0015;
    held.markPrice = 64_001.25;
    held.unrealizedPnl = 0.002;
    held.realizedPnl = -0.75;
    held.commissions = 0.0384;
    held.funding = 0.01;
    held.updatedAt = 1_767_225_600_000.5;
    assert.equal(haveSameMap(empty, held), true);
    assert.equal(empty.quantity, 0);
  });
});

describe('emptyObjectList', () => {
  it('is empty and has the hidden class of a list of objects, as `[]` has not', () => {
    const empty = emptyObjectList<{ id: number }>();
    const filled = [{ id: 1 }];
    assert.equal(empty.length, 0);
    assert.deepEqual(empty, []);
    assert.equal(haveSameMap(empty, filled), true);
    assert.equal(haveSameMap([], filled), false);
  });

  it('makes a new list each call, one a run may keep and fill (objects or strings)', () => {
    const orders = emptyObjectList<{ id: number }>();
    const names = emptyObjectList<string>();
    assert.notEqual(orders, names);
    orders.push({ id: 1 });
    names.push('a');
    assert.equal(names.length, 1);
    assert.equal(emptyObjectList().length, 0);
    assert.equal(haveSameMap(orders, names), true);
    assert.equal(haveSameMap(emptyObjectList(), orders), true);
  });
});

describe('keepFieldsMutable', () => {
  it('keeps the values the fields hold', () => {
    const target = { index: 3, count: 0, name: 'n' };
    keepFieldsMutable(target, ['index', 'count']);
    assert.deepEqual(target, { index: 3, count: 0, name: 'n' });
  });
});

describe('keepFlagsMutable', () => {
  it('keeps the values the flags hold', () => {
    const target = { stopping: false, stopped: true, name: 'n' };
    keepFlagsMutable(target, ['stopping', 'stopped']);
    assert.deepEqual(target, { stopping: false, stopped: true, name: 'n' });
  });
});
