/** Resolves after `ms` of wall time */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `predicate` holds, polling; fails naming `what` after `timeoutMs`. The timeout is a
 * safety net for a broken build, never a measurement: nothing asserts how fast it held.
 */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A signal that aborts once `predicate` holds, polled every few ms: it stops a run (runLive's
 * `signal`) when the run has done enough, however slow the machine, instead of after a fixed
 * time. `dispose` stops the polling.
 */
export function abortWhen(predicate: () => boolean): {
  readonly signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (predicate()) {
      clearInterval(poll);
      controller.abort();
    }
  }, 5);
  return { signal: controller.signal, dispose: () => clearInterval(poll) };
}
