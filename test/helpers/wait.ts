/** Resolves after `ms` of wall time */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `predicate` holds, polling; fails naming `what` after `timeoutMs`. The timeout is a
 * safety net for a broken build, never a measurement: nothing asserts how fast it held.
 */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
