import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tnzip/backends';
import { load } from '@tnzip/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import type { Report } from './report.js';
import type { Results } from './results.js';

let root: string;
beforeAll(async () => {
  await useBackend('cpu'); // for the test's own load(); the CLI picks its backend itself
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-storage-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

interface EvalJson {
  testAcc: number;
  testCount: number;
  storage: string;
  weightsBytes: number;
  denseWeightsBytes: number | null;
  storageRatio: number | null;
}

async function evalJson(dir: string): Promise<EvalJson> {
  const r = await runInProcess(['eval', dir, '--limit-test', '200', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as EvalJson;
}

const TINY = ['--limit-train', '300', '--limit-test', '200', '--no-latency', '--backend', 'cpu', '--json'];

describe('--storage uint8 end to end (real MNIST, 300 images)', () => {
  it('compress --metric storage --budget 200x --storage uint8: weights.bin lands within 5 % of 200x', async () => {
    const r = await runInProcess([
      'compress',
      '--model',
      'lenet5',
      '--epochs',
      '1',
      '--method',
      'ada',
      '--metric',
      'storage',
      '--budget',
      '200x',
      '--scope',
      'model',
      '--storage',
      'uint8',
      '--finetune-epochs',
      '1',
      '--out',
      path.join(root, 'runs'),
      ...TINY,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as Report & { runDir: string };
    const modelDir = path.join(runDir, 'model');
    const bin = await fs.readFile(path.join(modelDir, 'weights.bin'));
    const denseBin = await fs.stat(path.join(runDir, 'dense', 'model', 'weights.bin'));
    const ev = await evalJson(runDir);
    expect(ev.storage).toBe('uint8');
    expect(ev.weightsBytes).toBe(bin.byteLength);
    expect(ev.denseWeightsBytes).toBe(denseBin.size);
    expect(ev.storageRatio).toBeCloseTo(denseBin.size / bin.byteLength, 12);
    expect(ev.storageRatio as number).toBeGreaterThanOrEqual(200);
    expect(ev.storageRatio as number).toBeLessThanOrEqual(200 * 1.05);
    // The accuracy the run reports is the saved (uint8) model's.
    const results = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    expect(ev.testAcc).toBe(results.compressed?.testAcc);
    // Any tfjs reader decodes the file: the manifest is tfjs's own quantized one.
    const json = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8')) as {
      weightsManifest: [{ weights: tf.io.WeightsManifestEntry[] }];
    };
    const before = tf.memory().numTensors;
    const w = tf.io.decodeWeights(
      bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      json.weightsManifest[0].weights,
    );
    expect(Object.keys(w).length).toBe(json.weightsManifest[0].weights.length);
    tf.dispose(Object.values(w));
    const loaded = await load(modelDir);
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);

  it('train --storage uint8 saves a quarter-size weights.bin whose accuracy is the one reported', async () => {
    const r = await runInProcess([
      'train',
      '--model',
      'lenet300',
      '--epochs',
      '1',
      '--storage',
      'uint8',
      '--out',
      path.join(root, 'runs'),
      ...TINY,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as Report & { runDir: string };
    const config = JSON.parse(await fs.readFile(path.join(runDir, 'config.json'), 'utf8')) as { storage?: string };
    expect(config.storage).toBe('uint8');
    const ev = await evalJson(runDir);
    expect(ev.storage).toBe('uint8');
    expect(ev.storageRatio).toBe(4); // a dense model: its own float32 size over its uint8 size
    const results = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    expect(ev.testAcc).toBe(results.dense.testAcc);
  }, 600_000);

  it('refuses a bad --storage or --metric in one line, before any work', async () => {
    const out = path.join(root, 'untouched');
    for (const args of [
      ['compress', '--model', 'lenet5', '--storage', 'float16x'],
      ['train', '--model', 'lenet5', '--storage', 'float16x'],
      ['compress', '--model', 'lenet5', '--metric', 'bytes'],
    ]) {
      const r = await runInProcess([...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        args.includes('--metric') ? /--metric.*storage/ : /'float16x' for --storage \(valid: float32, uint8\)/,
      );
    }
    await expect(fs.access(out)).rejects.toThrow();
  });
});
