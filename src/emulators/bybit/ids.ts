import { createHash } from 'node:crypto';

/**
 * The n-th id of a kind as a UUID-shaped string, the form Bybit gives linear orders,
 * executions and public trades; the same seed gives the same ids, so runs repeat.
 */
export function uuidFor(seed: number, kind: string, n: number): string {
  const hex = createHash('sha256').update(`${seed}:${kind}:${n}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
