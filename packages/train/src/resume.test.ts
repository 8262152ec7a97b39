import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { isTnzipError, type TnzipError } from '@tnzip/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, listCheckpoints } from './checkpoint.js';
import { type MetricsRecord, withoutTiming } from './metrics.js';
import { editHeaderText, sealCheckpoint, splitCheckpoint } from './testing/checkpoint-bytes.js';
import { TINY_DATA, TINY_OPTIONS, tinyModel } from './testing/tiny-run.js';
import { train } from './train.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const V1 = path.join(here, 'testing', 'fixtures', 'v1');

function bits(m: ReturnType<typeof tinyModel>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [p, v] of m.namedParameters())
    out[p] = Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer));
  return out;
}

async function rejection(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isTnzipError(e), String(e)).toBe(true);
  return e as TnzipError;
}

function codeOf(fn: () => unknown): string {
  try {
    tf.dispose([...(fn() as { tensors: Map<string, tf.Tensor> }).tensors.values()]);
  } catch (e) {
    return isTnzipError(e) ? e.code : String(e);
  }
  return 'no error';
}

describe('resume: old files, tampered headers, all checkpoints corrupt (cpu)', () => {
  let root: string;
  let full: { weights: Record<string, number[]>; final: Record<string, unknown>; dir: string };
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-resume-'));
    const dir = path.join(root, 'full');
    const m = tinyModel();
    const r = await train(m, TINY_DATA, { ...TINY_OPTIONS, outDir: dir });
    full = { weights: bits(m), final: withoutTiming(r.final), dir };
    m.dispose();
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  async function runFrom(name: string, file: Uint8Array): Promise<string> {
    const dir = path.join(root, name);
    await fs.mkdir(path.join(dir, 'checkpoints'), { recursive: true });
    await fs.writeFile(path.join(dir, 'checkpoints', 'ckpt-000000008.tnzc'), file);
    return dir;
  }

  it('a version-1 checkpoint (written before this format) resumes to the exact weights of the old uninterrupted run', async () => {
    const old = JSON.parse(await fs.readFile(path.join(V1, 'final.json'), 'utf8'));
    // today's code trains the same run bit for bit
    expect(full.weights).toEqual(old.weights);
    expect(full.final).toEqual(old.final);
    const v1 = new Uint8Array(await fs.readFile(path.join(V1, 'ckpt-000000008.tnzc')));
    expect(new DataView(v1.buffer, v1.byteOffset).getUint32(4, true)).toBe(1);
    const dir = await runFrom('v1', v1);
    const m = tinyModel();
    const r = await train(m, TINY_DATA, { ...TINY_OPTIONS, outDir: dir, resume: true });
    expect(path.basename(r.resumedFrom as string)).toBe('ckpt-000000008.tnzc');
    expect(bits(m)).toEqual(old.weights);
    expect(withoutTiming(r.final)).toEqual(old.final);
    m.dispose();
  });

  it('an edited step, Rng state or epoch sum in the header is detected (CORRUPT_FILE), the same edit re-hashed is refused on resume', async () => {
    const file = (await listCheckpoints(path.join(full.dir, 'checkpoints'))).find((f) => f.endsWith('08.tnzc'));
    const bytes = new Uint8Array(await fs.readFile(file as string));
    expect(codeOf(() => decodeCheckpoint(bytes))).toBe('no error');
    const { header } = splitCheckpoint(bytes) as { header: { state: Record<string, unknown> } };
    const { state } = header;
    expect([state.epoch, state.stepInEpoch, state.globalStep]).toEqual([1, 2, 8]);
    const bump = (v: unknown): [string, string] => {
      const t = JSON.stringify(v);
      return [t, `${t.slice(0, -1)}${(Number(t.at(-1)) + 1) % 10}`];
    };
    const rng0 = bump((state.rng as number[])[0]);
    const loss = bump((state.epochSums as { loss: number }).loss);
    const edits: Array<[string, string]> = [
      ['"globalStep":8', '"globalStep":9'],
      ['"stepInEpoch":2', '"stepInEpoch":3'],
      [`"rng":[${rng0[0]}`, `"rng":[${rng0[1]}`],
      [`"loss":${loss[0]}`, `"loss":${loss[1]}`],
    ];
    for (const [from, to] of edits) {
      expect(to).not.toBe(from);
      expect(codeOf(() => decodeCheckpoint(editHeaderText(bytes, from, to)))).toBe('CORRUPT_FILE');
    }
    // re-hashed edits that move the position off this run's path are caught when resuming
    for (const patch of [
      { globalStep: 9 },
      { stepInEpoch: 6, globalStep: 12 },
      { epoch: 4, stepInEpoch: 0, globalStep: 24 },
    ]) {
      const sealed = sealCheckpoint({ ...header, state: { ...state, ...patch } }, splitCheckpoint(bytes).data);
      const dir = await runFrom(`sealed-${JSON.stringify(patch).replace(/\W/g, '')}`, sealed);
      const m = tinyModel();
      const e = await rejection(train(m, TINY_DATA, { ...TINY_OPTIONS, outDir: dir, resume: true }));
      expect(e.code).toBe('CORRUPT_FILE');
      expect(e.message).toMatch(/is not a position of this run/);
      m.dispose();
    }
  });

  it('when every checkpoint is corrupt, resume fails naming each file instead of restarting at step 0', async () => {
    const dir = path.join(root, 'all-corrupt');
    await fs.cp(full.dir, dir, { recursive: true });
    const files = await listCheckpoints(path.join(dir, 'checkpoints'));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const b = new Uint8Array(await fs.readFile(f));
      b[b.length - 40] = (b[b.length - 40] as number) ^ 0x10;
      await fs.writeFile(f, b);
    }
    const before = await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
    const progress: number[] = [];
    const m = tinyModel();
    const e = await rejection(
      train(m, TINY_DATA, {
        ...TINY_OPTIONS,
        outDir: dir,
        resume: true,
        onProgress: (p) => progress.push(p.globalStep),
      }),
    );
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/none of the \d+ checkpoint\(s\)/);
    for (const f of files) expect(e.message).toContain(path.basename(f));
    expect(progress).toEqual([]);
    expect(await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(before);
    m.dispose();
    // only the newest corrupt: the run resumes from the one before, and says so
    await fs.cp(path.join(full.dir, 'checkpoints'), path.join(dir, 'checkpoints'), { recursive: true });
    const newest = files[0] as string;
    await fs.writeFile(newest, 'TNZC garbage');
    const m2 = tinyModel();
    const r = await train(m2, TINY_DATA, { ...TINY_OPTIONS, outDir: dir, resume: true });
    expect(path.basename(r.resumedFrom as string)).toBe(path.basename(files[1] as string));
    const lines = (await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => withoutTiming(JSON.parse(l) as MetricsRecord))).toEqual(
      (await fs.readFile(path.join(full.dir, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => withoutTiming(JSON.parse(l) as MetricsRecord)),
    );
    m2.dispose();
  });
});
