import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BatchNorm,
  Flatten,
  Graph,
  importLayersModel,
  load,
  type Module,
  Reshape,
  readLayersModelFiles,
  Sequential,
  save,
  writeLayersModelFiles,
} from '@tnzip/layers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, snapshot } from './cli.test-util.js';

let root = '';
let x: tf.Tensor;

async function ortRun(file: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(await fs.readFile(file));
  try {
    const out = await session.run({
      [session.inputNames[0] as string]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape),
    });
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 5);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-onnx-cli-'));
  const m = tfl.sequential({ name: 'user_mlp' });
  m.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }));
  m.add(
    tfl.layers.dense({
      units: 32,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(
    tfl.layers.dense({
      units: 10,
      activation: 'softmax',
      name: 'out',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      await writeLayersModelFiles(path.join(root, 'mlp'), a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  m.dispose();
  // A tnzip model with a layer that has no ONNX form (batch norm over the rows of a rank-2 input).
  const bad = new Sequential('rows', [
    new Flatten('flat'),
    new Reshape('rows', [28, 28]),
    new BatchNorm('rowNorm', { numFeatures: 28 }),
  ]);
  await save(bad, path.join(root, 'no-onnx'), { inputShape: [28, 28, 1] });
  bad.dispose();
}, 60_000);

afterAll(async () => {
  x.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

/** tnzip's output on `x` for a model, with the final softmax an imported model keeps for export. */
async function tnzipOutput(model: Module): Promise<Float32Array> {
  const y = tf.tidy(() => {
    const out = model.apply(x);
    return model instanceof Graph && model.outputActivation === 'softmax' ? tf.softmax(out) : out;
  });
  const data = (await y.data()) as Float32Array;
  y.dispose();
  model.dispose();
  return data;
}

describe('tnzip and ONNX', () => {
  it('export MODEL_DIR --to onnx --out DIR: onnxruntime-node computes what tnzip computes (< 1e-4)', async () => {
    const out = path.join(root, 'onnx-out');
    const r = await runInProcess(['export', path.join(root, 'mlp'), '--to', 'onnx', '--out', out, '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model\.onnx \(onnx\)\nONNX opset 13/);
    const { model } = await importLayersModel(await readLayersModelFiles(path.join(root, 'mlp')));
    expect(relErr(await ortRun(path.join(out, 'model.onnx')), await tnzipOutput(model))).toBeLessThan(1e-4);
  });

  it('compress --from model.json --method energy --budget 2x --export onnx: the run model.onnx computes the compressed model', async () => {
    const r = await runInProcess([
      'compress',
      '--from',
      path.join(root, 'mlp', 'model.json'),
      '--method',
      'energy',
      '--budget',
      '2x',
      '--export',
      'onnx',
      '--limit-train',
      '256',
      '--limit-test',
      '200',
      '--finetune-epochs',
      '0',
      '--no-latency',
      '--backend',
      'cpu',
      '--out',
      path.join(root, 'runs'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const { model, plan } = await load(path.join(runDir, 'model'));
    expect(Object.values(plan ?? {}).some((p) => p.kind !== 'dense')).toBe(true);
    const theirs = await ortRun(path.join(runDir, 'export', 'onnx', 'model.onnx'));
    expect(relErr(theirs, await tnzipOutput(model))).toBeLessThan(1e-4);
  }, 300_000);

  it('a model with a layer that has no ONNX form: one error line naming the layer, nothing written', async () => {
    const before = await snapshot(root);
    const e = await runInProcess([
      'export',
      path.join(root, 'no-onnx'),
      '--to',
      'onnx',
      '--out',
      path.join(root, 'x'),
      '--backend',
      'cpu',
    ]);
    expect(e.code).toBe(2);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/layer 'rowNorm' \(batch-norm\).*no ONNX form/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('--quantize is refused with --to onnx before anything is read', async () => {
    const e = await runInProcess([
      'export',
      path.join(root, 'mlp'),
      '--to',
      'onnx',
      '--quantize',
      'uint8',
      '--out',
      path.join(root, 'q'),
      '--backend',
      'cpu',
    ]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/--quantize applies to --to tfjs-layers only/);
  });
});
