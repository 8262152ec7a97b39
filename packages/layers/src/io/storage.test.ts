import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { randomTensor } from '../factorized/helpers.test-util.js';
import { BatchNorm } from '../layers/batch-norm.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { load } from './load.js';
import { save, saveToMemory } from './save.js';
import { roundToStorage, storageBytes, storedElements } from './storage.js';

const PLAN: FactorizationPlan = {
  c2: { kind: 'tucker2', rankS: 2, rankT: 3 },
  c3: { kind: 'ada-tucker', dims: [6, 6, 4], ranks: [3, 3, 2] },
  fc: { kind: 'tt', rowDims: [2, 3], colDims: [4, 16], ranks: [3] },
};

/** Dense conv, BatchNorm (buffers), Tucker-2, ADA-Tucker (a derived cache), TT linear. Input [4, 4, 3]. */
function buildModel(): Module {
  const conv = (name: string, s: number, seed: number): Conv2d =>
    new Conv2d(name, { inChannels: s, outChannels: 4, kernelSize: 3, padding: 'same', seed });
  const m = new Sequential('net', [
    conv('c1', 3, 1),
    new BatchNorm('bn', { numFeatures: 4 }),
    conv('c2', 4, 2),
    new ReLU('r'),
    conv('c3', 4, 3),
    new Flatten('flat'),
    new Linear('fc', { inFeatures: 64, outFeatures: 6, seed: 7 }),
  ]);
  return factorize(m, PLAN);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  expect((e as TnzipError).code, (e as Error).message).toBe(code);
  return e as TnzipError;
}

describeBackends('uint8 storage', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-storage-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('writes weights.bin of exactly storageBytes, readable by tf.io.decodeWeights, each value within scale/2', async () => {
    const model = buildModel();
    const state = new Map(model.namedParameters().map(([k, v]) => [k, v.dataSync().slice()]));
    const dir = path.join(root, 'u8');
    const json = await save(model, dir, { plan: PLAN, inputShape: [4, 4, 3], storage: 'uint8' });
    const bin = await fs.readFile(path.join(dir, 'weights.bin'));
    expect(json.formatVersion).toBe(2);
    expect(bin.byteLength).toBe(storageBytes(model, 'uint8'));
    expect(bin.byteLength).toBe(storedElements(model));
    expect(storageBytes(model, 'float32')).toBe(4 * bin.byteLength);
    const specs = json.weightsManifest[0]?.weights ?? [];
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.every((s) => s.quantization?.dtype === 'uint8')).toBe(true);
    const before = tf.memory().numTensors;
    // Any tfjs reader dequantizes the file as it is: the manifest is tfjs's own.
    const bytes = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const decoded = tf.io.decodeWeights(bytes, specs);
    for (const s of specs) {
      const want = state.get(s.name);
      if (want === undefined) continue; // BatchNorm buffers: not parameters
      const got = (decoded[s.name] as tf.Tensor).dataSync();
      const half = (s.quantization?.scale as number) / 2;
      // scale/2 of rounding, plus float32 rounding of q·scale + min.
      const slack = half + 1e-6 * Math.max(...Array.from(want, Math.abs));
      want.forEach((w, i) => {
        expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(slack);
      });
    }
    tf.dispose(Object.values(decoded));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    const base = tf.memory().numTensors;

    // load dequantizes the same way, and nothing else is left behind.
    const loaded = await load(dir);
    for (const [k, v] of loaded.model.namedParameters()) {
      const want = state.get(k) as Float32Array;
      const s = specs.find((e) => e.name === k);
      const half = (s?.quantization?.scale as number) / 2;
      const got = v.dataSync();
      want.forEach((w, i) => {
        expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(half * 1.0001 + 1e-7);
      });
    }
    expect(loaded.plan).toEqual(PLAN);
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });

  it('saves a loaded uint8 model again to the same bytes, and the output stays close to float32', async () => {
    const model = buildModel();
    const x = randomTensor([2, 4, 4, 3], 1);
    const y = model.apply(x);
    const a = await saveToMemory(model, { storage: 'uint8' });
    model.dispose();
    const loaded = await load(tf.io.fromMemory(a));
    const b = await saveToMemory(loaded.model, { storage: 'uint8' });
    // Re-quantizing dequantized values finds the same levels: min and max are kept exactly.
    expect(new Uint8Array(b.weightData as ArrayBuffer)).toEqual(new Uint8Array(a.weightData as ArrayBuffer));
    const yq = loaded.model.apply(x);
    const rel = tf.tidy(() => tf.div(tf.norm(tf.sub(yq, y)), tf.norm(y)));
    const err = (await rel.data())[0] as number;
    rel.dispose();
    // 255 levels per tensor: ~0.2 % relative error per weight, a few layers deep.
    expect(err).toBeLessThan(0.05);
    tf.dispose([x, y, yq]);
    loaded.model.dispose();
  });

  it('keeps float32 files at format version 1, bit-exact, 4x the uint8 size', async () => {
    const model = buildModel();
    const dir = path.join(root, 'f32');
    const json = await save(model, dir, { storage: 'float32' });
    expect(json.formatVersion).toBe(1);
    expect(json.weightsManifest[0]?.weights.every((s) => s.quantization === undefined)).toBe(true);
    expect((await fs.stat(path.join(dir, 'weights.bin'))).size).toBe(storageBytes(model));
    const loaded = await load(dir);
    for (const [k, v] of model.namedParameters()) {
      const other = loaded.model.namedParameters().find(([p]) => p === k)?.[1] as tf.Variable;
      expect(Array.from(other.dataSync())).toEqual(Array.from(v.dataSync()));
    }
    loaded.model.dispose();
    model.dispose();
  });

  it('refuses a bad storage option and malformed quantization entries, leaking nothing', async () => {
    const model = buildModel();
    const bad = await expectCode(
      save(model, path.join(root, 'bad'), { storage: 'float16x' as 'uint8' }),
      'INVALID_ARGUMENT',
    );
    expect(bad.message).toMatch(/storage must be one of float32, uint8, got "float16x"/);
    const art = await saveToMemory(model, { storage: 'uint8' });
    model.dispose();
    const before = tf.memory().numTensors;
    const json = art.modelTopology as unknown as {
      weightsManifest: Array<{ weights: Array<Record<string, unknown>> }>;
    };
    const variant = (edit: (w: Record<string, unknown>) => void, version?: number): tf.io.IOHandler => {
      const j = structuredClone(json) as typeof json & { formatVersion: number };
      edit(j.weightsManifest[0]?.weights[0] as Record<string, unknown>);
      if (version !== undefined) j.formatVersion = version;
      return tf.io.fromMemory({ ...art, modelTopology: j as unknown as object });
    };
    const q = (w: Record<string, unknown>) => w.quantization as Record<string, unknown>;
    await expectCode(load(variant((w) => (q(w).scale = 0))), 'CORRUPT_FILE');
    await expectCode(load(variant((w) => (q(w).min = 'x'))), 'CORRUPT_FILE');
    await expectCode(load(variant((w) => (q(w).dtype = 'uint16'))), 'CORRUPT_FILE');
    // A version-1 file never holds quantized entries.
    await expectCode(load(variant(() => {}, 1)), 'CORRUPT_FILE');
    await expectCode(load(variant(() => {}, 3)), 'UNSUPPORTED_VERSION');
    const last = load(variant((w) => (w.quantization = undefined)));
    // The float32 reading of the entry disagrees with weightsByteLength.
    expect((await expectCode(last, 'CORRUPT_FILE')).message).toMatch(/weightsByteLength/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeBackends('roundToStorage', () => {
  it('makes the model in memory compute what its uint8 file computes', async () => {
    const model = buildModel();
    const x = randomTensor([2, 4, 4, 3], 4);
    const y0 = model.apply(x);
    roundToStorage(model, 'float32');
    const y1 = model.apply(x);
    expect(Array.from(await y1.data())).toEqual(Array.from(await y0.data()));
    roundToStorage(model, 'uint8');
    const y2 = model.apply(x);
    const loaded = await load(tf.io.fromMemory(await saveToMemory(model, { storage: 'uint8' })));
    const y3 = loaded.model.apply(x);
    const a = await y2.data();
    const b = await y3.data();
    const scale = Math.max(...Array.from(a, Math.abs));
    a.forEach((v, i) => {
      expect(Math.abs(v - (b[i] as number))).toBeLessThanOrEqual(1e-5 * scale);
    });
    expect(Array.from(a)).not.toEqual(Array.from(await y0.data()));
    tf.dispose([x, y0, y1, y2, y3]);
    loaded.model.dispose();
    model.dispose();
  });
});
