import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { TnzipError } from '@tnzip/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import { load } from './load.js';
import { rewriteMeta } from './rewrite-meta.js';
import { save } from './save.js';

const code = async (f: () => Promise<unknown>): Promise<string> => {
  try {
    await f();
  } catch (e) {
    return e instanceof TnzipError ? e.code : `not a TnzipError: ${String(e)}`;
  }
  return 'no error';
};

describe('rewriteMeta', () => {
  let root: string;
  let dir: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-meta-'));
    dir = path.join(root, 'model');
    const m = new Sequential('net', [new Linear('fc', { inFeatures: 3, outFeatures: 2, seed: 1 })]);
    await save(m, dir, { inputShape: [3], meta: { dataset: 'mnist', accuracy: 0.5 } });
    m.dispose();
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('replaces meta alone: other fields as read, weights.bin untouched, no temporary file left', async () => {
    const before = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const weights = await fs.readFile(path.join(dir, 'weights.bin'));
    const written = await rewriteMeta(dir, (meta) => ({ ...meta, denseWeightsBytes: 1234 }));
    const after = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(after.meta).toEqual({ dataset: 'mnist', accuracy: 0.5, denseWeightsBytes: 1234 });
    expect(written.meta).toEqual(after.meta);
    expect({ ...after, meta: null }).toEqual({ ...before, meta: null });
    expect(await fs.readFile(path.join(dir, 'weights.bin'))).toEqual(weights);
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    // The loader still accepts it (the hash of weights.bin still matches) and sees the new meta.
    const loaded = await load(dir);
    expect(loaded.meta.denseWeightsBytes).toBe(1234);
    loaded.model.dispose();
  });

  it('refuses a missing directory, a model.json that is not one, and an update that is not an object', async () => {
    expect(await code(() => rewriteMeta(path.join(root, 'absent'), (m) => ({ ...m })))).toBe('NOT_FOUND');
    const bad = path.join(root, 'bad');
    await fs.mkdir(bad);
    await fs.writeFile(path.join(bad, 'model.json'), '{"format":"something else"}');
    expect(await code(() => rewriteMeta(bad, (m) => ({ ...m })))).toBe('CORRUPT_FILE');
    expect(await fs.readFile(path.join(bad, 'model.json'), 'utf8')).toBe('{"format":"something else"}');
    const before = await fs.readFile(path.join(dir, 'model.json'), 'utf8');
    expect(await code(() => rewriteMeta(dir, () => [] as unknown as Record<string, unknown>))).toBe('INVALID_ARGUMENT');
    expect(await fs.readFile(path.join(dir, 'model.json'), 'utf8')).toBe(before);
  });
});
