import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../cli.test-util.js';
import { UsageError } from '../exit-codes.js';
import { checkRedis } from './connect.js';
import { freePort, startRedis, type TestRedis } from './redis-server.test-util.js';
import { parseRedisUrl } from './redis-url.js';

describe('checkRedis (a real redis-server with a password)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis('right-pw');
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('accepts the right password and refuses a wrong or missing one as a usage error', async () => {
    await expect(checkRedis(parseRedisUrl(redis.url))).resolves.toBeUndefined();
    const wrong = parseRedisUrl(`redis://:wrong@127.0.0.1:${redis.port}`);
    await expect(checkRedis(wrong)).rejects.toThrow(UsageError);
    await expect(checkRedis(wrong)).rejects.toThrow(
      /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials/,
    );
    await expect(checkRedis(parseRedisUrl(`redis://127.0.0.1:${redis.port}`))).rejects.toThrow(/credentials/);
  });

  it('fails fast on a port where nothing listens: BACKEND_UNAVAILABLE', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await checkRedis(parseRedisUrl(`redis://127.0.0.1:${port}`)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TnzipError', code: 'BACKEND_UNAVAILABLE' });
    expect((err as Error).message).toMatch(new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/0`));
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('tnzip worker: unreachable URL → exit 1, wrong password → exit 2, one error line each', async () => {
    const port = await freePort();
    for (const [url, code, msg] of [
      [`redis://127.0.0.1:${port}`, 1, /cannot reach Redis/],
      [`redis://:nope@127.0.0.1:${redis.port}`, 2, /refused the credentials/],
      ['redis://127.0.0.1', 2, /port explicitly/],
    ] as const) {
      const r = await spawnCli(['worker', '--queue', url], { cwd: redis.dir }).done;
      expect(r.code).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tnzip: error: --queue/);
      expect(lines[0]).toMatch(msg);
      expect(r.stderr).not.toContain('nope');
    }
  });

  it('tnzip sweep --queue: unreachable Redis or a wrong password stops it before a run directory exists', async () => {
    const port = await freePort();
    const out = path.join(redis.dir, 'runs');
    const args = ['sweep', '--model', 'lenet300', '--methods', 'uniform', '--budgets', '4x', '--out', out];
    for (const [url, code] of [
      [`redis://127.0.0.1:${port}`, 1],
      [`redis://:nope@127.0.0.1:${redis.port}`, 2],
    ] as const) {
      const r = await spawnCli([...args, '--queue', url], { cwd: redis.dir }).done;
      expect(r.code).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
    }
  });
});
