import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { FactorizedModule } from '../factorized/factorized-module.js';
import type { Module } from '../module.js';
import { cifarResNet, lenet5 } from '../testing-models.js';
import { BatchNorm } from './batch-norm.js';
import { Conv2d } from './conv2d.js';
import { Flatten } from './flatten.js';
import { Linear } from './linear.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

function randn(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = offset + scale * rng.normal();
  return tf.tensor(d, shape);
}

/**
 * Gives every variable random values (BatchNorm variances positive), so that a fold that
 * dropped γ, β, μ, σ² or a bias would show.
 */
function randomize(m: Module, seed: number): void {
  let s = seed;
  for (const [path, v] of [...m.namedParameters(), ...m.namedBuffers()]) {
    s += 1;
    const t = path.endsWith('runningVar')
      ? tf.tidy(() => tf.add(tf.abs(randn(v.shape, s)), 0.5))
      : randn(
          v.shape,
          s,
          path.endsWith('.weight') && v.rank === 1 ? 0.5 : 0.3,
          path.endsWith('.weight') && v.rank === 1 ? 1 : 0,
        );
    v.assign(t);
    t.dispose();
  }
}

/** ‖a − b‖ / ‖b‖ (float32 results; a fold reorders roundings, so 1e-5 relative). */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const r = tf.tidy(() => tf.div(tf.norm(tf.sub(a, b)), tf.norm(b)));
  const v = (await r.data())[0] as number;
  r.dispose();
  return v;
}

/** The unfused forward pass: capture turns fusion off (every module runs on its own). */
function plain(m: Module, x: tf.Tensor): tf.Tensor {
  const { output, captured } = m.apply(x, { capture: [] });
  for (const t of captured.values()) t.dispose();
  return output;
}

async function expectFusedEqualsPlain(m: Module, x: tf.Tensor): Promise<void> {
  const fused = m.apply(x);
  const ref = plain(m, x);
  expect(fused.shape).toEqual(ref.shape);
  expect(await relErr(fused, ref)).toBeLessThan(1e-5);
  fused.dispose();
  ref.dispose();
}

/**
 * Names of the compute kernels `fn` runs: without `Reshape` (a view on cpu and wasm) and the
 * `…__op` entries tfjs's profiler lists for a customGrad wrapper around the real kernel.
 */
async function kernelsOf(fn: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => fn());
  return info.kernels.map((k) => k.name).filter((n) => n !== 'Reshape' && !n.endsWith('__op'));
}

describeBackends('fused inference', () => {
  it('constructors leave only their variables behind, and dispose frees them', () => {
    const before = tf.memory().numTensors;
    const conv = new Conv2d('c', { inChannels: 3, outChannels: 4, kernelSize: 3 });
    expect(tf.memory().numTensors - before).toBe(2);
    const lin = new Linear('l', { inFeatures: 3, outFeatures: 4 });
    expect(tf.memory().numTensors - before).toBe(4);
    const bn = new BatchNorm('b', { numFeatures: 4 });
    expect(tf.memory().numTensors - before).toBe(8);
    for (const m of [conv, lin, bn]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('conv + BatchNorm + ReLU (folded, one kernel) equals the plain modules', async () => {
    for (const [stride, padding] of [
      [1, 'valid'],
      [2, 'same'],
      [1, 1],
    ] as const) {
      const m = new Sequential('net', [
        new Conv2d('conv', { inChannels: 3, outChannels: 5, kernelSize: 3, stride, padding }),
        new BatchNorm('bn', { numFeatures: 5 }),
        new ReLU('relu'),
      ]);
      randomize(m, 10);
      const x = randn([2, 7, 7, 3], 1);
      await expectFusedEqualsPlain(m, x);
      const kernels = await kernelsOf(() => m.apply(x));
      expect(kernels).toEqual(['FusedConv2D']);
      x.dispose();
      m.dispose();
    }
  });

  it('a conv with stride and dilation both > 1 (not fusible) runs plain, alone and as a chain tail', async () => {
    const conv = () =>
      new Conv2d('conv', { inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, dilation: 2, padding: 'same' });
    const bnRelu = () => [new BatchNorm('bn', { numFeatures: 4 }), new ReLU('relu')];
    const alone = new Sequential('net', [conv(), ...bnRelu()]);
    const tail = new Sequential('net', [
      new Sequential('chain', [new Conv2d('first', { inChannels: 3, outChannels: 3, kernelSize: 1 }), conv()]),
      ...bnRelu(),
    ]);
    const x = randn([2, 9, 9, 3], 8);
    for (const m of [alone, tail]) {
      randomize(m, 80);
      await expectFusedEqualsPlain(m, x);
      m.dispose();
    }
    x.dispose();
  });

  it('Linear + ReLU and Linear + BatchNorm fuse into one matMul kernel', async () => {
    const m = new Sequential('mlp', [
      new Linear('fc1', { inFeatures: 6, outFeatures: 5 }),
      new ReLU('r1'),
      new Linear('fc2', { inFeatures: 5, outFeatures: 4, bias: false }),
      new BatchNorm('bn', { numFeatures: 4 }),
      new ReLU('r2'),
      new Linear('fc3', { inFeatures: 4, outFeatures: 3 }),
    ]);
    randomize(m, 20);
    const x = randn([3, 6], 2);
    await expectFusedEqualsPlain(m, x);
    expect(await kernelsOf(() => m.apply(x))).toEqual(['_FusedMatMul', '_FusedMatMul', '_FusedMatMul']);
    x.dispose();
    m.dispose();
  });

  it('a reconstructed factorized conv / linear + ReLU runs as one fused kernel; the factorized chain keeps its ReLU', async () => {
    const m = factorize(
      new Sequential('net', [
        new Conv2d('c', { inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same' }),
        new ReLU('r1'),
        new Flatten('f'),
        new Linear('fc', { inFeatures: 512, outFeatures: 6 }),
        new ReLU('r2'),
      ]),
      {
        c: { kind: 'tucker2', rankS: 2, rankT: 3 },
        fc: { kind: 'tt', rowDims: [1, 6], colDims: [512, 1], ranks: [4] },
      },
    );
    randomize(m, 30);
    const factorized = m.namedModules().flatMap(([, l]) => (l instanceof FactorizedModule ? [l] : []));
    expect(factorized).toHaveLength(2);
    const x = randn([2, 8, 8, 3], 3);
    for (const mode of ['reconstructed', 'factorized'] as const) {
      for (const l of factorized) l.mode = mode;
      await expectFusedEqualsPlain(m, x);
      tf.dispose(m.apply(x)); // builds the cached kernels, outside the profile
      const kernels = await kernelsOf(() => m.apply(x));
      if (mode === 'reconstructed') expect(kernels).toEqual(['FusedConv2D', '_FusedMatMul']);
      else expect(kernels.filter((k) => k === 'Relu')).toHaveLength(2);
    }
    x.dispose();
    m.dispose();
  });

  it('ADA / SCADA-Tucker layers + bias + ReLU (and a BatchNorm) run as one fused kernel on their cached weight', async () => {
    const m = factorize(
      new Sequential('net', [
        new Conv2d('c', { inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same' }),
        new BatchNorm('bn', { numFeatures: 8 }),
        new ReLU('r1'),
        new Flatten('f'),
        new Linear('fc1', { inFeatures: 512, outFeatures: 12 }),
        new ReLU('r2'),
        new Linear('fc2', { inFeatures: 12, outFeatures: 6 }),
      ]),
      {
        c: { kind: 'ada-tucker', dims: [9, 3, 8], ranks: [4, 3, 5] },
        fc1: { kind: 'scada-tucker', dims: [8, 8, 8, 12], ranks: [3, 3, 3, 4], group: 'g' },
        fc2: { kind: 'scada-tucker', dims: [3, 3, 3, 4], ranks: [3, 3, 3, 4], group: 'g' },
      },
    );
    randomize(m, 31);
    const x = randn([2, 8, 8, 3], 4);
    await expectFusedEqualsPlain(m, x);
    tf.dispose(m.apply(x)); // builds the cached weights and the fold, outside the profile
    expect(await kernelsOf(() => m.apply(x))).toEqual(['FusedConv2D', '_FusedMatMul', '_FusedMatMul']);
    const before = tf.memory().numTensors;
    tf.dispose(m.apply(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('the fold is cached (no new tensors per call), rebuilt after a weight changes, freed by dispose', async () => {
    const before = tf.memory().numTensors;
    const m = new Sequential('net', [
      new Conv2d('conv', { inChannels: 2, outChannels: 3, kernelSize: 3, bias: false }),
      new BatchNorm('bn', { numFeatures: 3 }),
    ]);
    randomize(m, 30);
    const x = randn([1, 5, 5, 2], 3);
    const y1 = m.apply(x);
    const held = tf.memory().numTensors;
    const y2 = m.apply(x);
    expect(tf.memory().numTensors).toBe(held + 1); // only the output
    expect(await relErr(y2, y1)).toBe(0);
    const [, runningVar] = m.namedBuffers().find(([p]) => p === 'bn.runningVar') as [string, tf.Variable];
    const v = tf.tidy(() => tf.mul(runningVar, 4));
    runningVar.assign(v);
    v.dispose();
    const y3 = m.apply(x);
    expect(tf.memory().numTensors).toBe(held + 2);
    expect(await relErr(y3, y1)).toBeGreaterThan(1e-3);
    const ref = plain(m, x);
    expect(await relErr(y3, ref)).toBeLessThan(1e-5);
    for (const t of [y1, y2, y3, ref, x]) t.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('LeNet-5 and ResNet-20 (dense and Tucker-2 half) equal their plain forward at batch 1 and 3', async () => {
    const models: Array<[Module, number[]]> = [
      [lenet5(), [28, 28, 1]],
      [lenet5({ tucker2: true }), [28, 28, 1]],
      [cifarResNet(20), [32, 32, 3]],
      [cifarResNet(20, { tucker2Half: true }), [32, 32, 3]],
    ];
    for (const [m, shape] of models) {
      randomize(m, 40);
      for (const n of [1, 3]) {
        const x = randn([n, ...shape], 4);
        await expectFusedEqualsPlain(m, x);
        x.dispose();
      }
      const before = tf.memory().numTensors;
      m.dispose();
      expect(tf.memory().numTensors).toBeLessThan(before);
    }
  });

  it('a model leaks nothing once its folds exist, and frees them with the model', async () => {
    const start = tf.memory().numTensors;
    const m = cifarResNet(8);
    randomize(m, 50);
    const vars = tf.memory().numTensors;
    const x = randn([1, 32, 32, 3], 5);
    m.apply(x).dispose();
    const warm = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.apply(x).dispose();
    expect(tf.memory().numTensors).toBe(warm);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(warm).toBeGreaterThan(vars); // the folds were real tensors, and were freed
  });

  it('gradients in evaluation mode still reach every weight (no fold under a tape)', async () => {
    const m = new Sequential('net', [
      new Conv2d('conv', { inChannels: 2, outChannels: 3, kernelSize: 3 }),
      new BatchNorm('bn', { numFeatures: 3 }),
      new ReLU('relu'),
    ]);
    randomize(m, 60);
    const x = randn([2, 5, 5, 2], 6);
    const vars = m.namedParameters().map(([, v]) => v);
    const loss = (f: (x: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.square(f(x))) as tf.Scalar;
    const a = tf.variableGrads(
      loss((v) => m.apply(v)),
      vars,
    );
    const b = tf.variableGrads(
      loss((v) => plain(m, v)),
      vars,
    );
    expect(Object.keys(a.grads).length).toBe(vars.length);
    for (const k of Object.keys(b.grads)) {
      expect(await relErr(a.grads[k] as tf.Tensor, b.grads[k] as tf.Tensor)).toBeLessThan(1e-5);
    }
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads), x]);
    m.dispose();
  });

  it('capture still sees each module output (fusion off)', async () => {
    const m = new Sequential('net', [
      new Conv2d('conv', { inChannels: 2, outChannels: 3, kernelSize: 3 }),
      new BatchNorm('bn', { numFeatures: 3 }),
      new ReLU('relu'),
    ]);
    randomize(m, 70);
    const x = randn([1, 5, 5, 2], 7);
    const { output, captured } = m.apply(x, { capture: ['conv'] });
    const conv = m.children()[0] as Conv2d;
    const ref = tf.tidy(() =>
      tf.add(tf.conv2d(x as tf.Tensor4D, conv.weight as tf.Tensor4D, 1, 'valid'), conv.bias as tf.Tensor),
    );
    expect(await relErr(captured.get('conv') as tf.Tensor, ref)).toBeLessThan(1e-6);
    tf.dispose([output, ref, x, ...captured.values()]);
    m.dispose();
  });
});
