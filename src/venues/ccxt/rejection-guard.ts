import { isCcxtError } from './errors.ts';

type StrayListener = (error: unknown) => void;

const listeners = new Set<StrayListener>();

function onUnhandledRejection(reason: unknown): void {
  if (isCcxtError(reason)) {
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
 * placeholder futures nobody awaits (a failed ws auth or dial), which under Node's default
 * would crash the process. ccxt errors are handed to `listener` (logged and counted) and
 * swallowed; anything else is rethrown as before. Reference-counted: returns the uninstaller.
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
