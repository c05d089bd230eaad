import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import type { ErrorKind } from '../../core/errors.ts';
import { batchEntryError } from './errors.ts';
import { genericProfile } from './profiles/generic.ts';
import { PROFILES } from './profiles/registry.ts';

/** A refused batch entry's `info` as each venue answers it, and the kind it stands for */
const ENTRIES: readonly (readonly [profile: string, info: unknown, kind: ErrorKind])[] = [
  [
    'binanceusdm',
    { code: -1001, msg: 'Internal error; unable to process your request.' },
    'ambiguous',
  ],
  [
    'binanceusdm',
    { code: -1008, msg: 'Server is currently overloaded with other requests.' },
    'ambiguous',
  ],
  ['binanceusdm', { code: -2019, msg: 'Margin is insufficient.' }, 'venue'],
  ['binanceusdm', { code: -4164, msg: "Order's notional must be no smaller than 100" }, 'venue'],
  ['binance', { code: -1001, msg: 'Internal error' }, 'ambiguous'],
  ['binance', { code: -2010, msg: 'Account has insufficient balance' }, 'venue'],
  ['bybit', { code: 10016, msg: 'Server error' }, 'ambiguous'],
  ['bybit', { code: 110007, msg: 'ab not enough for new order' }, 'venue'],
  [
    'okx',
    { clOrdId: 'k1', ordId: '', sCode: '50001', sMsg: 'Service temporarily unavailable' },
    'ambiguous',
  ],
  ['okx', { clOrdId: 'k1', ordId: '', sCode: '51008', sMsg: 'Insufficient balance' }, 'venue'],
  // A rate-limit refusal: the venue placed nothing (Bybit 10006 in a batch entry alike)
  ['hyperliquid', { error: 'Too many cumulative requests sent' }, 'venue'],
  ['bybit', { code: 10006, msg: 'Too many visits!' }, 'venue'],
  ['hyperliquid', { error: 'Insufficient margin to place order. asset=0' }, 'venue'],
  // A code the table does not list is a verdict, as for a single order; no code proves nothing
  ['bybit', { code: 170131, msg: 'Insufficient balance.' }, 'venue'],
  ['binanceusdm', { msg: 'something went wrong' }, 'ambiguous'],
  ['okx', null, 'ambiguous'],
];

describe('a refused batch entry goes through its profile error table', () => {
  for (const [id, info, kind] of ENTRIES) {
    it(`${id} ${JSON.stringify(info)} is ${kind}`, () => {
      const profile = PROFILES.get(id);
      assert.ok(profile);
      const error = batchEntryError(info, 'createOrders k1', profile.errors);
      assert.equal(error.kind, kind);
      assert.match(error.message, /^createOrders k1: /);
    });
  }

  it('keeps the venue code and words for the rejection reason', () => {
    const profile = PROFILES.get('binanceusdm');
    assert.ok(profile);
    const error = batchEntryError(
      { code: -2019, msg: 'Margin is insufficient.' },
      'createOrders k1',
      profile.errors,
    );
    assert.equal(error.code, 'VENUE_REJECTED');
    assert.equal(error.venueCode, '-2019');
    assert.equal(error.message, 'createOrders k1: -2019: Margin is insufficient.');
  });

  it('on an exchange without a profile: a code is a verdict, none is ambiguous', () => {
    const { errors } = genericProfile(new ccxt.pro.kraken() as never);
    assert.equal(
      batchEntryError({ code: 'EOrder:Insufficient funds' }, 'a', errors).kind,
      'ambiguous',
    );
    assert.equal(batchEntryError({ code: 1234, msg: 'refused' }, 'a', errors).kind, 'venue');
    assert.equal(batchEntryError({}, 'a', errors).kind, 'ambiguous');
  });
});
