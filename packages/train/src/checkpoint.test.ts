import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';
import {
  type CheckpointState,
  decodeCheckpoint,
  encodeCheckpoint,
  latestCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';

const STATE: CheckpointState = {
  epoch: 1,
  stepInEpoch: 3,
  globalStep: 13,
  optimizer: { kind: 'adam', step: 13 },
  rng: [1, 2, 3, 4294967295],
  hooks: { h: { rho: 0.5 } },
  epochSums: { loss: 1.5, correct: 7, count: 9 },
  moduleStates: { drop: { calls: 3 } },
  metrics: [],
  fingerprint: { seed: 1 },
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTnzipError(e) ? e.code : String(e);
  }
  return 'no error';
}

describeBackends('checkpoint files', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-ckpt-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('encode/decode round-trips state and float32 tensors bit-exactly (NaN payloads, -0 included)', async () => {
    const a = tf.tensor(new Float32Array([1.5, -0, Number.NaN, 3e-38, -7]), [5]);
    const b = tf.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const bytes = await encodeCheckpoint(
      STATE,
      new Map([
        ['model/a', a],
        ['optimizer/b#m', b],
      ]),
    );
    expectNoLeak(() => {
      const { state, tensors } = decodeCheckpoint(bytes);
      expect(state).toEqual(STATE);
      expect(tensors.get('optimizer/b#m')?.shape).toEqual([2, 3]);
      const bitsA = new Uint32Array(((tensors.get('model/a') as tf.Tensor).dataSync() as Float32Array).slice().buffer);
      expect(Array.from(bitsA)).toEqual(Array.from(new Uint32Array((a.dataSync() as Float32Array).slice().buffer)));
      return [...tensors.values()];
    });
    // damaged files are refused with CORRUPT_FILE / UNSUPPORTED_VERSION
    expect(codeOf(() => decodeCheckpoint(bytes.slice(0, bytes.length - 4)))).toBe('CORRUPT_FILE');
    expect(
      codeOf(() => decodeCheckpoint(new Uint8Array([...new TextEncoder().encode('XXXX'), ...bytes.slice(4)]))),
    ).toBe('CORRUPT_FILE');
    const flipped = bytes.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(codeOf(() => decodeCheckpoint(flipped))).toBe('CORRUPT_FILE');
    const v3 = bytes.slice();
    new DataView(v3.buffer).setUint32(4, 3, true);
    expect(codeOf(() => decodeCheckpoint(v3))).toBe('UNSUPPORTED_VERSION');
    tf.dispose([a, b]);
  });

  it('latestCheckpoint skips an unreadable newest file and falls back to the previous good one', async () => {
    const dir = path.join(root, `latest-${tf.getBackend()}`);
    const t = tf.ones([3]);
    await writeCheckpoint(dir, STATE, new Map([['model/t', t]]));
    await fs.writeFile(path.join(dir, 'ckpt-000000099.tnzc'), 'garbage');
    const found = await latestCheckpoint(dir);
    expect(path.basename(found?.file as string)).toBe('ckpt-000000013.tnzc');
    for (const x of found?.checkpoint.tensors.values() ?? []) x.dispose();
    expect(await latestCheckpoint(path.join(root, 'none'))).toBeNull();
    t.dispose();
  });

  it('writeFileAtomic replaces the whole file and leaves no temporary file, even when it fails', async () => {
    const dir = path.join(root, `atomic-${tf.getBackend()}`);
    await fs.mkdir(dir);
    const f = path.join(dir, 'x.json');
    await writeFileAtomic(f, 'old');
    await writeFileAtomic(f, 'new content');
    expect(await fs.readFile(f, 'utf8')).toBe('new content');
    expect(await fs.readdir(dir)).toEqual(['x.json']);
    // renaming over a directory fails: IO_ERROR naming the file, the temp file is gone
    await fs.mkdir(path.join(dir, 'sub'));
    const e = await writeFileAtomic(path.join(dir, 'sub'), 'x').catch((err: unknown) => err);
    expect(isTnzipError(e, 'IO_ERROR')).toBe(true);
    expect((await fs.readdir(dir)).sort()).toEqual(['sub', 'x.json']);
  });
});
