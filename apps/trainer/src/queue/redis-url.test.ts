import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.js';
import { parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, database and password, and hides the password in display', () => {
    const t = parseRedisUrl('redis://:s%40cret@10.0.0.5:6380/3');
    expect(t).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, password: 's@cret' });
    expect(t.username).toBeUndefined();
    expect(t.display).toBe('redis://:***@10.0.0.5:6380/3');
    expect(parseRedisUrl('redis://localhost:6379')).toMatchObject({
      host: 'localhost',
      db: 0,
      display: 'redis://localhost:6379/0',
    });
    expect(parseRedisUrl('redis://user:pw@[::1]:7000/0')).toMatchObject({
      host: '::1',
      username: 'user',
      password: 'pw',
    });
  });

  it.each([
    ['not a url', /Redis URL/],
    ['http://h:6379', /redis:\/\/ scheme/],
    ['rediss://h:6379', /redis:\/\/ scheme/],
    ['redis://h', /port explicitly/],
    ['redis://h:6379/16', /database must be an integer in \[0, 15\]/],
    ['redis://h:6379/x', /database/],
    ['redis://h:6379/0?tls=1', /no query/],
  ])('refuses %s naming --queue', (url, msg) => {
    expect(() => parseRedisUrl(url)).toThrow(UsageError);
    expect(() => parseRedisUrl(url)).toThrow(msg);
    expect(() => parseRedisUrl(url)).toThrow(/^--queue/);
  });
});
