/**
 * The first life of a run whose submit the venue holds, for ambiguity.test.ts: runLive with a
 * journal against the emulator at argv[2] (its answer to the next order request already held by
 * the test), one tradeAsync, its clientId printed as a JSON line, then running on until the test
 * kills the process (SIGKILL: nothing is canceled, no finally runs).
 */
import type { Strategy } from '../../../src/runtime/strategy.ts';
import { runChildLife } from './child-life.ts';

const [url, journalPath] = process.argv.slice(2);
if (url === undefined || journalPath === undefined)
  throw new Error('usage: held-submit-child <url> <journal>');

const strategy: Strategy = {
  name: 'held-submit-first-life',
  onStart(ctx) {
    const clientId = ctx.tradeAsync(ctx.instrument('BTC/USDT:USDT'), 0.002, 62000);
    process.stdout.write(`${JSON.stringify({ clientId })}\n`);
  },
};

await runChildLife(strategy, url, journalPath, 5);
