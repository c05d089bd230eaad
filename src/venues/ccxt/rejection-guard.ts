import { isCcxtError } from './errors.ts';

type StrayListener = (error: unknown) => void;

const listeners = new Set<StrayListener>();

/**
 * ccxt's WebSocket client, with its rate limiter on, sends a subscription without awaiting the
 * send; on a socket that is closing, the `ws` package rejects it with a plain Error ("WebSocket is
 * not open: readyState 2 (CLOSING)") whose stack runs through ccxt's ws client. Nobody can catch
 * it, and the watcher it belonged to fails on its own when ccxt sees the close.
 */
const CCXT_WS_FRAME = /[\\/]ccxt[\\/](?:js[\\/]src[\\/]base[\\/]ws|dist)[\\/]/;

function isStrayFromCcxt(reason: unknown): boolean {
  return isCcxtError(reason) || (reason instanceof Error && CCXT_WS_FRAME.test(reason.stack ?? ''));
}

function onUnhandledRejection(reason: unknown): void {
  if (isStrayFromCcxt(reason)) {
    for (const listener of listeners) listener(reason);
    return;
  }
  // Not ours to swallow: with nobody else listening, fail the way Node would without us
  if (process.listenerCount('unhandledRejection') <= 1) {
    process.nextTick(() => {
      throw reason;
    });
  }
}

/**
 * Installs the guard against ccxt's stray promise rejections: ccxt ≥ 4.5.75 rejects internal
 * placeholder futures nobody awaits (a failed ws auth or dial), and its ws client leaves a send on
 * a closing socket unawaited; under Node's default either would crash the process. They are
 * handed to `listener` (logged and counted) and swallowed; anything else is rethrown as before.
 * Reference-counted: returns the uninstaller.
 */
export function installCcxtRejectionGuard(listener: StrayListener): () => void {
  if (listeners.size === 0) process.on('unhandledRejection', onUnhandledRejection);
  const entry: StrayListener = (error) => listener(error);
  listeners.add(entry);
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    listeners.delete(entry);
    if (listeners.size === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}
