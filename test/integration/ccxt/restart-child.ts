/**
 * The first life of a live run, for restart.test.ts: runLive with a journal against the
 * emulator at argv[2] through the ccxt exchange argv[4] (binanceusdm or bybit), trading a few
 * orders, then printing their clientIds as one JSON line and running on until the test kills
 * the process (SIGKILL: nothing is canceled, no finally runs).
 */
import type { Strategy, StrategyContext } from '../../../src/runtime/strategy.ts';
import { until as waitUntil } from '../../helpers/wait.ts';
import { runChildLife } from './child-life.ts';

const [url, journalPath, exchange = 'binanceusdm'] = process.argv.slice(2);
if (url === undefined || journalPath === undefined)
  throw new Error('usage: restart-child <url> <journal> [binanceusdm|bybit]');
/** Each venue's cancel request, to fail once */
const CANCEL: Record<string, { readonly method: string; readonly path: string }> = {
  binanceusdm: { method: 'DELETE', path: '/fapi/v1/order' },
  bybit: { method: 'POST', path: '/v5/order/cancel' },
};
const cancel = CANCEL[exchange];
if (cancel === undefined) throw new Error(`restart-child: no cancel path for ${exchange}`);

async function until(ctx: StrategyContext, clientId: string, status: string): Promise<void> {
  await waitUntil(() => ctx.order(clientId)?.status === status, `${clientId} to become ${status}`);
}

const strategy: Strategy = {
  name: 'restart-first-life',
  async onStart(ctx) {
    const btc = ctx.instrument('BTC/USDT:USDT');
    const resting = await ctx.trade(btc, 0.002, 60000);
    const gap = await ctx.trade(btc, 0.002, 63900);
    const filled = await ctx.trade(btc, 0.003);
    const canceled = await ctx.trade(btc, 0.002, 60100);
    await ctx.cancelOrder(canceled);
    const cut = await ctx.trade(btc, 0.002, 60200);
    await until(ctx, cut.clientId, 'OPEN');
    // The cancel of `cut` reaches nobody and its answer is a 502: it stays PENDING_CANCEL
    await fetch(`${url}/_kestrel/faults/fail-requests`, {
      method: 'POST',
      body: JSON.stringify({ status: 502, ...cancel, count: 1 }),
    });
    await ctx.cancelOrder(cut).catch(() => undefined);
    await until(ctx, filled.clientId, 'FILLED');
    await until(ctx, canceled.clientId, 'CANCELED');
    await until(ctx, resting.clientId, 'OPEN');
    await until(ctx, gap.clientId, 'OPEN');
    await until(ctx, cut.clientId, 'PENDING_CANCEL');
    process.stdout.write(
      `${JSON.stringify({
        resting: resting.clientId,
        gap: gap.clientId,
        filled: filled.clientId,
        canceled: canceled.clientId,
        cut: cut.clientId,
      })}\n`,
    );
  },
};

await runChildLife(strategy, url, journalPath, 3, exchange);
