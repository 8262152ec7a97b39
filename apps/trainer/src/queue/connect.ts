import { TnzipError } from '@tnzip/tensor';
import { Redis } from 'ioredis';
import { UsageError } from '../exit-codes.js';
import type { RedisTarget } from './redis-url.js';

/**
 * ioredis options for BullMQ's long-lived connections: reconnect forever (a restarted Redis is
 * picked up again) and never give up on a command while offline (`maxRetriesPerRequest: null`,
 * which BullMQ requires of a Worker's blocking connection).
 */
export function connectionOptions(target: RedisTarget) {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number): number => Math.min(200 * times, 2000),
  };
}

/**
 * Checks that Redis at `target` answers PING with these credentials, within `timeoutMs`, before
 * any work is queued or taken: one connection attempt, no retries.
 *
 * @throws TnzipError BACKEND_UNAVAILABLE when the host does not answer (refused, unknown, timeout);
 * UsageError when Redis refuses the password (or wants one and got none) or the database number.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...connectionOptions(target),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The reason (WRONGPASS, ECONNREFUSED) arrives as an 'error' event; connect() then only says
  // "Connection is closed".
  let reason = '';
  client.on('error', (e: Error) => {
    reason ||= e.message;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const msg = reason || (e as Error).message;
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(msg))
      throw new UsageError(
        `--queue: Redis at ${target.display} refused the credentials (${msg.split('\n')[0]}); give the password as redis://:PASSWORD@HOST:PORT`,
      );
    if (/DB index is out of range|invalid DB index/i.test(msg))
      throw new UsageError(`--queue: Redis at ${target.display} has no database ${target.db}`);
    throw new TnzipError(
      'BACKEND_UNAVAILABLE',
      `--queue: cannot reach Redis at ${target.display} within ${timeoutMs / 1000} s (${msg.split('\n')[0]}); start redis-server there or fix the URL`,
    );
  } finally {
    client.disconnect();
  }
}
