import { UsageError } from '../exit-codes.js';

/** Where a queue's Redis listens, parsed from `redis://[[user]:password@]host:port[/db]`. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** The URL without its password, for messages and logs. */
  readonly display: string;
}

/**
 * Parses the `--queue` URL: scheme `redis:` (TLS `rediss:` is not supported), a host, an explicit
 * port in [1, 65535] and an optional database number in [0, 15] (Redis' default `databases 16`).
 *
 * @throws UsageError naming `flag` and the accepted form, before any connection is tried.
 */
export function parseRedisUrl(text: string, flag = '--queue'): RedisTarget {
  const form = 'redis://[:PASSWORD@]HOST:PORT[/DB]';
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${flag} must be a Redis URL ${form}, got '${text}'`);
  }
  if (u.protocol !== 'redis:')
    throw new UsageError(`${flag} must use the redis:// scheme (${form}), got '${u.protocol.replace(/:$/, '')}://'`);
  if (u.hostname === '') throw new UsageError(`${flag} must name a host (${form}), got '${text}'`);
  const port = Number(u.port);
  if (u.port === '' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`${flag} must give the port explicitly, an integer in [1, 65535] (${form})`);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isInteger(db) || db < 0 || db > 15)
    throw new UsageError(`${flag} database must be an integer in [0, 15], got '/${dbText}'`);
  if (u.search !== '' || u.hash !== '')
    throw new UsageError(`${flag} takes no query or fragment (${form}), got '${u.search}${u.hash}'`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  const auth = username !== undefined || password !== undefined ? `${username ?? ''}:***@` : '';
  return {
    host,
    port,
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    display: `redis://${auth}${u.host}/${db}`,
  };
}
