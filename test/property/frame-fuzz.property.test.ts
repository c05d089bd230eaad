/**
 * Malformed venue frames on the real wire: fast-check builds frames from the pushes the
 * emulator really sent (a field replaced by NaN, a negative size, a wrong type, a field deleted,
 * an unknown field added), from random JSON, truncated JSON and text, and the emulator sends
 * them down the live sockets to the real ccxt venue and the real Lighter venue. Nothing may
 * escape the stream loop (no uncaught exception, no unhandled rejection), the account must not
 * change, refusals are counted, and the next real order still round-trips and leaves Kestrel
 * equal to the venue's ledger.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Instrument } from '../../src/core/instrument.ts';
import type { AccountProcessor } from '../../src/engine/account-processor.ts';
import type { HealthMonitor } from '../../src/engine/health-monitor.ts';
import type { TradingManager } from '../../src/engine/trading-manager.ts';
import { sleep, until } from '../helpers/wait.ts';
import { setupCcxt } from '../integration/ccxt/harness.ts';
import { startHarness } from '../integration/lighter/harness.ts';

/** Values no field of a venue frame may carry and still mean something */
const POISON: readonly unknown[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1',
  '-0.001',
  'abc',
  '',
  null,
  {},
  [],
  true,
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Mutation {
  readonly kind: 'replace' | 'delete' | 'extra';
  readonly template: number;
  /** Which key to take at each level, modulo the keys there */
  readonly path: readonly number[];
  readonly value: number;
}

type FrameSpec =
  | { readonly kind: 'mutated'; readonly mutation: Mutation }
  | { readonly kind: 'replayed'; readonly template: number }
  | { readonly kind: 'truncated'; readonly template: number; readonly cut: number }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'envelope'; readonly template: number; readonly body: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'extra'),
  template: fc.nat(),
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
  value: fc.nat({ max: POISON.length - 1 }),
});

const frameSpec: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 8, arbitrary: mutation.map((m) => ({ kind: 'mutated' as const, mutation: m })) },
  { weight: 1, arbitrary: fc.nat().map((t) => ({ kind: 'replayed' as const, template: t })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ template: fc.nat(), cut: fc.nat() })
      .map((r) => ({ kind: 'truncated' as const, ...r })),
  },
  {
    weight: 1,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, value: v })),
  },
  {
    weight: 1,
    arbitrary: fc.string({ minLength: 1 }).map((t) => ({ kind: 'text' as const, text: t })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        template: fc.nat(),
        body: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
      })
      .map((r) => ({ kind: 'envelope' as const, ...r })),
  },
);

/** Applies a mutation to a copy of the template */
function mutate(template: Json, m: Mutation): Json {
  const copy = structuredClone(template);
  if (copy === null || typeof copy !== 'object') return copy;
  let node: Json[] | { [key: string]: Json } = copy;
  for (let depth = 0; depth < 8; depth += 1) {
    const keys: (string | number)[] = Array.isArray(node)
      ? node.map((_, i) => i)
      : Object.keys(node);
    const poison = structuredClone(POISON[m.value]) as Json;
    if (keys.length === 0 || m.kind === 'extra') {
      if (!Array.isArray(node) && (keys.length === 0 || depth >= m.path.length - 1)) {
        node['zz_fuzz'] = poison;
        return copy;
      }
      if (keys.length === 0) return copy;
    }
    const key = keys[(m.path[depth % m.path.length] ?? 0) % keys.length] as string | number;
    const child = (node as Record<string | number, Json>)[key] as Json;
    const leaf = depth >= m.path.length - 1 || child === null || typeof child !== 'object';
    if (leaf) {
      if (m.kind === 'delete' && !Array.isArray(node)) delete node[key as string];
      else (node as Record<string | number, Json>)[key] = poison;
      return copy;
    }
    node = child as Json[] | { [key: string]: Json };
  }
  return copy;
}

function render(spec: FrameSpec, templates: readonly Json[], envelope: (t: Json) => Json): string {
  const pick = (index: number) => templates[index % templates.length] as Json;
  switch (spec.kind) {
    case 'mutated':
      return JSON.stringify(mutate(pick(spec.mutation.template), spec.mutation));
    case 'replayed':
      return JSON.stringify(pick(spec.template));
    case 'truncated': {
      const text = JSON.stringify(pick(spec.template));
      return text.slice(0, Math.max(1, spec.cut % text.length));
    }
    case 'json':
      return JSON.stringify(spec.value);
    case 'text':
      return spec.text;
    case 'envelope': {
      const base = envelope(pick(spec.template)) as Record<string, Json>;
      return JSON.stringify({ ...(spec.body as Record<string, Json>), ...base });
    }
  }
}

/** What the account holds, for "nothing changed" */
function accountState(account: AccountProcessor) {
  const order = (o: ReturnType<AccountProcessor['getOrderHistory']>[number]) => [
    o.clientId,
    o.status,
    o.origin,
    o.filledQuantity,
    o.averageFillPrice,
    o.venueOrderId,
    o.price,
    o.quantity,
  ];
  return {
    orders: account.getOrders().map(order),
    history: account.getOrderHistory().map(order),
    positions: account
      .getPositions()
      .map((p) => [p.instrument.symbol, p.quantity, p.averagePrice, p.realizedPnl, p.commissions]),
    // Totals only: free and locked follow open orders and margin, refreshed by REST on a resync
    balances: account.getBalances().map((b) => [b.currency, b.total]),
  };
}

interface Target {
  readonly account: AccountProcessor;
  readonly trading: TradingManager;
  readonly health: HealthMonitor;
  readonly instrument: Instrument;
  /** Pushes the venue really sent that a fuzzed frame may start from */
  templates(): Json[];
  /** A channel's envelope (type, channel or event name) taken from a template */
  envelope(template: Json): Json;
  /** Waits until the account stream is up (a fuzzed frame may have made it resubscribe) */
  ready(): Promise<void>;
  inject(frames: readonly string[]): number;
  /** Crosses the touch with a small IOC order: a real fill through the stream */
  roundTrip(buy: boolean): Promise<void>;
  /** Kestrel against the venue's ledger */
  ledger(): { position: number; mine: number; balance: number; ours: number };
  close(): Promise<void>;
}

/** Runs the property against one venue: every batch of frames changes nothing, then a real fill does */
async function fuzz(target: Target, runs: number): Promise<{ frames: number; refused: number }> {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  let frames = 0;
  let onCleanup = () => {};
  let buy = true;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(frameSpec, { minLength: 1, maxLength: 25 }), async (specs) => {
        const templates = target.templates();
        const rendered = specs.map((s) => render(s, templates, target.envelope));
        const before = accountState(target.account);
        const applied: unknown[] = [];
        const unsubscribe = target.account.subscribe((result, event) => {
          if (result.outcome === 'applied')
            applied.push({ ...event, instrument: undefined, report: undefined });
        });
        onCleanup = unsubscribe;
        await target.ready();
        assert.ok(target.inject(rendered) > 0, 'the frames reached a live socket');
        frames += rendered.length;
        await sleep(60);
        assert.deepEqual(escaped, [], 'nothing escaped the stream loop');
        assert.deepEqual(
          accountState(target.account),
          before,
          `the frames changed nothing; applied: ${JSON.stringify(applied)}\nframes: ${rendered.join('\n')}`,
        );
        unsubscribe();
        await target.roundTrip(buy);
        buy = !buy;
        const { position, mine, balance, ours } = target.ledger();
        assert.equal(mine, position, 'the position equals the venue ledger');
        assert.ok(Math.abs(ours - balance) < 1e-6, `balance ${ours} here, ${balance} at the venue`);
      }),
      { numRuns: runs, seed: 20261201, endOnFailure: true, includeErrorInReport: true },
    );
  } finally {
    onCleanup();
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
  const refused = target.health.snapshot().exchanges[0]?.counts.refusedInputs ?? 0;
  return { frames, refused };
}

describe('malformed venue frames on the wire (fast-check)', () => {
  describe('binanceusdm through real ccxt', () => {
    let target: Target;
    let setup: Awaited<ReturnType<typeof setupCcxt>>;
    before(async () => {
      setup = await setupCcxt();
      const { emulator, trading, account, btc } = setup;
      target = {
        account,
        trading,
        health: setup.health,
        instrument: btc,
        templates: () => {
          const pushes = emulator.pushes as unknown as Json[];
          const orders = pushes.filter((p) => (p as { e?: string }).e === 'ORDER_TRADE_UPDATE');
          // Balance snapshots only from the latest: an older one replayed is stale, not malformed
          const balances = pushes.filter((p) => (p as { e?: string }).e === 'ACCOUNT_UPDATE');
          return [...orders, ...balances.slice(-1)];
        },
        envelope: (t) => ({ e: (t as { e?: string }).e ?? 'ORDER_TRADE_UPDATE', E: Date.now() }),
        ready: () =>
          until(
            () => setup.venue.stats().accountConnected && emulator.connections().openUser > 0,
            'the user data stream',
          ),
        inject: (frames) => emulator.injectFrames('user', frames),
        roundTrip: async (buy) => {
          const order = await trading.trade(btc, buy ? 0.002 : -0.002, buy ? 64001 : 63999, {
            timeInForce: 'IOC',
          });
          await until(
            () => account.findOrder(order.clientId)?.status === 'FILLED',
            'the round trip fill',
          );
          await until(
            () =>
              account.getBalances().find((b) => b.currency === 'USDT')?.total ===
              emulator.venue.getBalances().find((b) => b.currency === 'USDT')?.total,
            'the balance push',
          );
        },
        ledger: () => ({
          position: emulator.venue.getPosition('BTCUSDT')?.quantity ?? 0,
          mine: account.getPosition(btc).quantity,
          balance: emulator.venue.getBalances().find((b) => b.currency === 'USDT')?.total ?? 0,
          ours: account.getBalances().find((b) => b.currency === 'USDT')?.total ?? 0,
        }),
        close: () => setup.close(),
      };
      // Some real pushes to start from: a resting order, a fill, a cancel
      const resting = await trading.trade(btc, 0.002, 63000);
      await trading.cancelOrder(resting);
      await target.roundTrip(true);
    });
    after(() => target.close());

    it('refuses a replayed fill whose trade id is missing or not a Binance id, on a partly filled order', async () => {
      const { emulator, trading, account, btc, health } = setup;
      const order = await trading.trade(btc, 0.004, 63900);
      emulator.printTrade('BTCUSDT', 63899.9, 0.001, 'SELL');
      await until(() => account.findOrder(order.clientId)?.filledQuantity === 0.001, 'the fill');
      const push = emulator.pushes.findLast(
        (p) =>
          (p['o'] as { x?: string; c?: string } | undefined)?.c === order.clientId &&
          (p['o'] as { x?: string }).x === 'TRADE',
      ) as { o: Record<string, unknown> };
      const refusedBefore = health.snapshot().exchanges[0]?.counts.refusedInputs ?? 0;
      const { t: _missing, ...withoutId } = push.o;
      const frames = [
        { ...push, o: withoutId },
        { ...push, o: { ...push.o, t: 'abc' } },
        { ...push, o: { ...push.o, t: -7 } },
        { ...push, o: { ...push.o, i: 'x1' } },
      ].map((f) => JSON.stringify(f));
      assert.ok(emulator.injectFrames('user', frames) > 0);
      await until(
        () => (health.snapshot().exchanges[0]?.counts.refusedInputs ?? 0) >= refusedBefore + 4,
        'the refusals',
      );
      assert.equal(
        account.findOrder(order.clientId)?.filledQuantity,
        0.001,
        'no fill booked twice',
      );
      assert.equal(
        account.getPosition(btc).quantity,
        emulator.venue.getPosition('BTCUSDT')?.quantity,
      );
      await trading.cancelOrder(order);
      await until(
        () => account.findOrder(order.clientId)?.status !== 'PENDING_CANCEL',
        'the cancel',
      );
    });

    it('never throws out of the stream loop, changes nothing, counts refusals, and keeps trading', async () => {
      const { frames, refused } = await fuzz(target, 30);
      assert.ok(refused > 0, 'refused frames are counted');
      console.log(`binanceusdm: ${frames} fuzzed frames, ${refused} refusals counted`);
      // What ccxt itself could not parse is counted and lands in the run's log, not on the console
      assert.ok(
        setup.logger.records.some(
          (r) =>
            r.message === 'venue input refused: frame ccxt could not parse' &&
            /JSON/.test(String(r.fields?.['message'])),
        ),
        'ccxt parse failures logged',
      );
    });
  });

  describe('lighter', () => {
    let target: Target;
    before(async () => {
      const h = await startHarness();
      h.emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      const eth = h.instrument('ETH');
      await until(() => h.venue.quote(eth)?.bid === 2000, 'the ETH quote');
      const usdc = () => h.emulator.venue.getBalances().find((b) => b.currency === 'USDC')?.total;
      target = {
        account: h.account,
        trading: h.trading,
        health: h.health,
        instrument: eth,
        templates: () => {
          const pushes = h.emulator.pushes as unknown as Json[];
          const type = (p: Json) => (p as { type?: string }).type ?? '';
          const latest = (name: string) => pushes.filter((p) => type(p).endsWith(name)).slice(-1);
          return [
            ...pushes.filter((p) => /account_all_(orders|trades)$/.test(type(p))),
            ...latest('account_all_positions'),
            ...latest('user_stats'),
          ];
        },
        envelope: (t) => {
          const { type, channel } = t as { type?: string; channel?: string };
          return { type: type ?? 'update/account_all_orders', channel: channel ?? '' };
        },
        ready: () =>
          until(
            () =>
              h.health.snapshot().exchanges[0]?.streamConnected !== false &&
              h.emulator.connectionCount() > 0,
            'the account stream',
          ),
        inject: (frames) => h.emulator.injectFrames(frames),
        roundTrip: async (buy) => {
          const order = await h.trading.trade(eth, buy ? 0.01 : -0.01, buy ? 2001 : 2000, {
            timeInForce: 'IOC',
          });
          await until(
            () => h.account.findOrder(order.clientId)?.status === 'FILLED',
            'the round trip fill',
          );
          await until(
            () =>
              Math.abs(
                (h.account.getBalances().find((b) => b.currency === 'USDC')?.total ?? 0) -
                  (usdc() ?? 0),
              ) < 1e-6,
            'the balance push',
          );
        },
        ledger: () => ({
          position: h.emulator.venue.getPosition('ETH')?.quantity ?? 0,
          mine: h.account.getPosition(eth).quantity,
          balance: usdc() ?? 0,
          ours: h.account.getBalances().find((b) => b.currency === 'USDC')?.total ?? 0,
        }),
        close: () => h.close(),
      };
      const resting = await h.trading.trade(eth, 0.01, 1990, { postOnly: true });
      await h.trading.cancelOrder(resting);
      await until(
        () =>
          h.account.findOrder(resting.clientId) === undefined ||
          h.account.findOrder(resting.clientId)?.status === 'CANCELED',
        'the cancel',
      );
      await target.roundTrip(true);
    });
    after(() => target.close());

    it('never throws out of the stream loop, changes nothing, counts refusals, and keeps trading', async () => {
      const { frames, refused } = await fuzz(target, 40);
      assert.ok(refused > 0, 'refused frames are counted');
      console.log(`lighter: ${frames} fuzzed frames, ${refused} refusals counted`);
    });
  });
});
