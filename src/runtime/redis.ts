/**
 * Redis connections: the sweep queue's and the shared rate limits'. A URL is checked and the
 * server asked for PING before anything is used, so a bad URL or an absent server is refused
 * before a run starts.
 */
import type { Redis } from 'ioredis';
import { KestrelError } from '../core/errors.ts';

/** Where the error message of a Redis URL ends: never print a password */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Whether a value is a Redis URL: redis:// or rediss://, a host, a numeric port, a database number */
export function isRedisUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    /^rediss?:$/.test(url.protocol) &&
    url.hostname !== '' &&
    /^\d*$/.test(url.port) &&
    /^(\/\d*)?$/.test(url.pathname)
  );
}

/**
 * A Redis connection that answered PING. Without the offline queue, commands fail at once
 * while the connection is down (for callers that have something else to do meanwhile).
 * @throws KestrelError NETWORK (exit 5) naming the URL when the server cannot be reached
 */
export async function connectRedis(
  url: string,
  purpose: string,
  field: string,
  options: { readonly offlineQueue?: boolean } = {},
): Promise<Redis> {
  // Loaded only by the commands that use Redis
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: options.offlineQueue === false ? 1 : null,
    enableOfflineQueue: options.offlineQueue ?? true,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    connectionName: `kestrel-${purpose}`,
  });
  let first: Error | undefined;
  client.on('error', (error: Error) => {
    first ??= error;
  });
  try {
    const probe = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
    } finally {
      probe.disconnect();
    }
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new KestrelError(
      'NETWORK',
      `cannot reach Redis at ${redactRedisUrl(url)}: ${(first ?? (error as Error)).message}`,
      { field, value: redactRedisUrl(url) },
    );
  }
  return client;
}
