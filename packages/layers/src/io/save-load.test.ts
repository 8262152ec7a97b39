import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { randomTensor } from '../factorized/helpers.test-util.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { load } from './load.js';
import { save, saveToMemory } from './save.js';

const PLAN: FactorizationPlan = {
  c1: { kind: 'tucker2', rankS: 2, rankT: 3 },
  c2: { kind: 'cp', rank: 3 },
  c3: { kind: 'tt', rowDims: [2, 2], colDims: [2, 2], ranks: [2, 2, 2, 2] },
  c4: { kind: 'scada-tucker', dims: [6, 6, 4], ranks: [3, 3, 2], group: 'g' },
  c5: { kind: 'ada-tucker', dims: [6, 6, 4], ranks: [3, 3, 2] },
  c6: { kind: 'scada-tucker', dims: [6, 6, 4], ranks: [3, 3, 2], group: 'g' },
  fc: { kind: 'tt', rowDims: [2, 3], colDims: [4, 16], ranks: [3] },
};

/** A small net with every layer kind once factorized. Input [4, 4, 3]. */
function buildModel(): Module {
  const conv = (name: string, s: number, seed: number): Conv2d =>
    new Conv2d(name, { inChannels: s, outChannels: 4, kernelSize: 3, padding: 'same', seed });
  const m = new Sequential('net', [
    conv('c1', 3, 1),
    conv('c2', 4, 2),
    new ReLU('r'),
    conv('c3', 4, 3),
    conv('c4', 4, 4),
    conv('c5', 4, 5),
    conv('c6', 4, 6),
    new Flatten('flat'),
    new Linear('fc', { inFeatures: 64, outFeatures: 6, seed: 7 }),
  ]);
  return factorize(m, PLAN);
}

async function files(dir: string): Promise<{ json: Record<string, unknown>; bin: Buffer }> {
  return {
    json: JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')),
    bin: await fs.readFile(path.join(dir, 'weights.bin')),
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  expect((e as TnzipError).code, (e as Error).message).toBe(code);
}

describeBackends('save / load', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-io-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('round-trips every layer kind bit-exactly through a directory and an IOHandler', async () => {
    const model = buildModel();
    const x = randomTensor([2, 4, 4, 3], 1);
    const y = model.apply(x);
    const dir = path.join(root, 'net');
    const json = await save(model, dir, { plan: PLAN, inputShape: [4, 4, 3], meta: { note: 'test' } });
    expect(json.weightsManifest[0]?.weights.some((w) => w.name.includes('weightCache'))).toBe(false);
    const before = tf.memory().numTensors;
    const loaded = await load(dir);
    expect(loaded.plan).toEqual(PLAN);
    expect(loaded.inputShape).toEqual([4, 4, 3]);
    expect(loaded.meta).toEqual({ note: 'test' });
    expect(loaded.model.config()).toEqual(model.config());
    const y2 = loaded.model.apply(x);
    expect(Array.from(await y2.data())).toEqual(Array.from(await y.data()));
    // Shared core: one variable, bound in the loaded model too.
    expect(loaded.model.namedParameters().filter(([p]) => p.endsWith('sharedCore.core')).length).toBe(1);

    let artifacts: tf.io.ModelArtifacts | undefined;
    await save(
      model,
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    // saveToMemory gives exactly what an IOHandler receives.
    const inMemory = await saveToMemory(model);
    expect(new Uint8Array(inMemory.weightData as ArrayBuffer)).toEqual(
      new Uint8Array((artifacts as tf.io.ModelArtifacts).weightData as ArrayBuffer),
    );
    expect(inMemory.modelTopology).toEqual((artifacts as tf.io.ModelArtifacts).modelTopology);
    const viaHandler = await load(tf.io.fromMemory(inMemory));
    const y3 = viaHandler.model.apply(x);
    expect(Array.from(await y3.data())).toEqual(Array.from(await y.data()));
    tf.dispose([y2, y3]);
    loaded.model.dispose();
    viaHandler.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects truncated, corrupted, unknown-version, missing-field and shape-mismatched files', async () => {
    const model = buildModel();
    const dir = path.join(root, 'good');
    await save(model, dir);
    model.dispose();
    const { json, bin } = await files(dir);
    const variant = async (name: string, j: unknown, b: Uint8Array): Promise<string> => {
      const d = path.join(root, name);
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, 'model.json'), typeof j === 'string' ? j : JSON.stringify(j));
      await fs.writeFile(path.join(d, 'weights.bin'), b);
      return d;
    };
    const before = tf.memory().numTensors;
    await expectCode(load(await variant('trunc', json, bin.subarray(0, bin.length - 8))), 'CORRUPT_FILE');
    const flipped = Buffer.from(bin);
    flipped[100] = (flipped[100] as number) ^ 0x40;
    await expectCode(load(await variant('flip', json, flipped)), 'CORRUPT_FILE');
    await expectCode(load(await variant('version', { ...json, formatVersion: 3 }, bin)), 'UNSUPPORTED_VERSION');
    const { architecture: _a, ...noArch } = json;
    await expectCode(load(await variant('missing', noArch, bin)), 'CORRUPT_FILE');
    await expectCode(load(await variant('notjson', '{"format": "tnzip-mo', bin)), 'CORRUPT_FILE');
    // Shape mismatch: the architecture says c1 has rankS 3, the weights hold rankS 2.
    const arch = structuredClone(json.architecture) as { children: Array<Record<string, unknown>> };
    (arch.children[0] as Record<string, unknown>).rankS = 3;
    await expectCode(load(await variant('shape', { ...json, architecture: arch }, bin)), 'CORRUPT_FILE');
    await expectCode(load(path.join(root, 'nowhere')), 'NOT_FOUND');
    expect(tf.memory().numTensors).toBe(before);
  });
});
