/**
 * Every kind of malformed frame a venue stream can deliver is counted as refused input in the
 * health monitor (per venue), on the real wire: the Lighter emulator's socket to the Lighter
 * venue, and the Binance USDⓈ-M emulator's sockets to the real ccxt. Each kind is sent alone and
 * must move the count; the account must not change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthMonitor } from '../../src/engine/health-monitor.ts';
import { until } from '../helpers/wait.ts';
import { setupCcxt } from './ccxt/harness.ts';
import { startHarness } from './lighter/harness.ts';

const refusedOf = (health: HealthMonitor) =>
  health.snapshot().exchanges[0]?.counts.refusedInputs ?? 0;

/** Sends each frame alone and waits until the refused count moves past where it was */
async function expectCounted(
  health: HealthMonitor,
  kinds: ReadonlyArray<readonly [string, string]>,
  inject: (frame: string) => number,
  ready: () => Promise<unknown> = async () => {},
): Promise<void> {
  for (const [kind, frame] of kinds) {
    // A frame ccxt cannot read fails its stream, which then redials
    await ready();
    const before = refusedOf(health);
    assert.ok(inject(frame) > 0, `${kind}: the frame reached a live socket`);
    await until(() => refusedOf(health) > before, `${kind} counted as refused input`);
  }
}

describe('malformed frame kinds are counted', () => {
  describe('lighter', () => {
    let h: Awaited<ReturnType<typeof startHarness>>;
    before(async () => {
      h = await startHarness();
      h.emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      const eth = h.instrument('ETH');
      await until(() => h.venue.quote(eth)?.bid === 2000, 'the ETH quote');
      // Real pushes of every account channel to corrupt
      const order = await h.trading.trade(eth, 0.01, 2001, { timeInForce: 'IOC' });
      await until(() => h.account.findOrder(order.clientId)?.status === 'FILLED', 'a fill');
    });
    after(() => h.close());

    it('counts each kind', async () => {
      const latest = (suffix: string) => {
        const push = h.emulator.pushes.findLast((p) => String(p['type']).endsWith(suffix));
        assert.ok(push !== undefined, `a ${suffix} push`);
        return push;
      };
      const corrupt = (suffix: string, field: string) =>
        JSON.stringify({ ...latest(suffix), [field]: 'garbage' });
      const orders = h.account.getOrders().length;
      await expectCounted(
        h.health,
        [
          ['text that is not JSON', 'not json at all'],
          ['JSON that is not an object', '42'],
          ['an envelope whose type is not a string', '{"type":5}'],
          ['a type nobody subscribed to', '{"type":"update/nonsense","channel":"nonsense:0"}'],
          ['account orders', corrupt('account_all_orders', 'orders')],
          ['account trades', corrupt('account_all_trades', 'trades')],
          ['account positions', corrupt('account_all_positions', 'positions')],
          ['user stats', corrupt('user_stats', 'stats')],
          [
            'order book',
            JSON.stringify({ type: 'update/order_book', channel: 'order_book:0', order_book: 1 }),
          ],
          [
            'trade prints',
            JSON.stringify({ type: 'update/trade', channel: 'trade:0', trades: 'garbage' }),
          ],
        ],
        (frame) => h.emulator.injectFrames([frame]),
      );
      assert.equal(h.account.getOrders().length, orders, 'the account did not change');
    });
  });

  describe('binanceusdm through real ccxt', () => {
    let setup: Awaited<ReturnType<typeof setupCcxt>>;
    before(async () => {
      setup = await setupCcxt();
      const order = await setup.trading.trade(setup.btc, 0.002, 64001, { timeInForce: 'IOC' });
      await until(() => setup.account.findOrder(order.clientId)?.status === 'FILLED', 'a fill');
    });
    after(() => setup.close());

    it('counts each kind', async () => {
      const { emulator, health, venue } = setup;
      const ready = () =>
        until(
          () => venue.stats().accountConnected && emulator.connections().openUser > 0,
          'the user data stream',
        );
      await ready();
      const orderPush = emulator.pushes.findLast((p) => p['e'] === 'ORDER_TRADE_UPDATE') as Record<
        string,
        Record<string, unknown>
      >;
      assert.ok(orderPush !== undefined, 'a real order push to corrupt');
      const user = (frame: string) => emulator.injectFrames('user', [frame]);
      await expectCounted(
        health,
        [
          ['JSON ccxt cannot parse', '{"e":"ORDER_TRADE_UPDATE","o":'],
          [
            'an order update with a status that is no status',
            JSON.stringify({ ...orderPush, E: Date.now(), o: { ...orderPush['o'], X: 'GARBAGE' } }),
          ],
        ],
        user,
        ready,
      );
      await expectCounted(
        health,
        [['market JSON ccxt cannot parse', '{"stream":"btcusdt@bookTicker","data":']],
        (frame) => emulator.injectFrames('market', [frame]),
        () => until(() => setup.venue.stats().marketConnected, 'the market stream'),
      );
    });
  });
});
