/**
 * Property: no venue profile can send a client id its venue would refuse, and every wire id
 * comes back to the clientId it stands for.
 *
 * For every profile (Binance spot and USDⓈ-M, Bybit, OKX, Hyperliquid) and for clientIds made
 * by Kestrel's generator (any prefix, instance tag and starting counter), across a restart (a
 * second generator restored from the first one's last counter, as the live runner restores it
 * from the journal):
 *
 * 1. every clientId encodes, and the wire id passes the venue's documented rule (checked by a
 *    pattern written here from the venue's docs, not by the codec's own `accepts`);
 * 2. the wire id decodes back to the same clientId;
 * 3. distinct clientIds give distinct wire ids, before and after the restart.
 *
 * Hyperliquid's 128-bit cloid holds a generated clientId whose head (prefix and tag) has at most
 * 10 characters (Kestrel's default head has 6); for longer heads the property is that the id is
 * refused (never sent malformed). For any caller-chosen clientId, on every venue: it either
 * encodes to a wire id the venue takes and that decodes back, or it is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createClientIdGenerator, isClientOrderId } from '../../src/core/ids.ts';
import { PROFILES } from '../../src/venues/ccxt/profiles/registry.ts';

/** Each venue's documented client-id rule */
const VENUE_RULES: Readonly<Record<string, RegExp>> = {
  binance: /^[.A-Z:/a-z0-9_-]{1,36}$/,
  binanceusdm: /^[.A-Z:/a-z0-9_-]{1,36}$/,
  bybit: /^[A-Za-z0-9_-]{1,36}$/,
  okx: /^[A-Za-z0-9]{1,32}$/,
  hyperliquid: /^0x[0-9a-f]{32}$/,
};

const prefix = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,7}$/);
const instanceTag = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const counterStart = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 1_700_000_000_000, max: 4_000_000_000_000 }),
  fc.integer({ min: Number.MAX_SAFE_INTEGER - 1_000, max: Number.MAX_SAFE_INTEGER - 100 }),
);
const callerId = fc.stringMatching(/^[A-Za-z0-9._:/-]{1,36}$/);

/** Ids of a generator, then of a generator restored from its last counter (a restart) */
function twoLives(p: string, tag: string, start: number, count: number): string[] {
  const first = createClientIdGenerator({ prefix: p, instanceTag: tag, counterStart: start });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(first.next());
  const restored = createClientIdGenerator({
    prefix: p,
    instanceTag: tag,
    counterStart: first.counter,
  });
  for (let i = 0; i < count; i++) ids.push(restored.next());
  return ids;
}

describe('property: venue wire ids of clientIds', () => {
  for (const [id, profile] of PROFILES) {
    const rule = VENUE_RULES[id];
    it(`${id}: generated clientIds (across a restart) encode to ids the venue takes and decode back`, () => {
      assert.ok(rule, `a documented rule for ${id}`);
      const codec = profile.clientId.codec;
      fc.assert(
        fc.property(prefix, instanceTag, counterStart, (p, tag, start) => {
          const ids = twoLives(p, tag, start, 3);
          const fits = id !== 'hyperliquid' || p.length + tag.length <= 10;
          const wires = new Set<string>();
          for (const clientId of ids) {
            const wire = codec.encode(clientId);
            if (!fits && wire === undefined) continue;
            assert.ok(wire !== undefined, `${clientId} encodes`);
            assert.match(wire, rule, `${clientId} → ${wire} keeps the venue's rule`);
            assert.equal(codec.decode(wire), clientId, `${wire} decodes back`);
            wires.add(wire);
          }
          assert.equal(new Set(ids).size, ids.length, 'no clientId repeats across the restart');
          if (fits) assert.equal(wires.size, ids.length, 'distinct ids, distinct wire ids');
        }),
        { numRuns: 150 },
      );
    });

    it(`${id}: a caller's clientId is carried (the venue's rule kept, decoded back) or refused, never sent malformed`, () => {
      const codec = profile.clientId.codec;
      fc.assert(
        fc.property(callerId, (clientId) => {
          fc.pre(isClientOrderId(clientId));
          const wire = codec.encode(clientId);
          if (wire === undefined) return;
          assert.match(wire, rule ?? /^$/);
          assert.equal(codec.decode(wire), clientId);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a wire id the venue made up (not ours) never decodes to one of our clientIds by mistake', () => {
    for (const [, profile] of PROFILES) {
      const codec = profile.clientId.codec;
      fc.assert(
        fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,36}$|^0x[0-9a-f]{32}$/), (wire) => {
          const clientId = codec.decode(wire);
          if (clientId !== undefined)
            assert.equal(codec.encode(clientId), wire, 'only canonical encodings decode');
        }),
        { numRuns: 200 },
      );
    }
  });
});
