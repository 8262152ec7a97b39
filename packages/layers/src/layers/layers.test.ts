import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError, Rng, TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import type { Module } from '../module.js';
import { take, takeAll } from '../read.test-util.js';
import { createModule } from '../registry.js';
import { cifarResNet, lenet5 } from '../testing-models.js';
import { AvgPool } from './avg-pool.js';
import { BatchNorm } from './batch-norm.js';
import { ChannelPadShortcut } from './channel-pad-shortcut.js';
import { Conv2d } from './conv2d.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { GlobalAvgPool } from './global-avg-pool.js';
import { Linear } from './linear.js';
import { MaxPool } from './max-pool.js';
import { ReLU } from './relu.js';
import { Residual } from './residual.js';
import { Sequential } from './sequential.js';

function randn(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal();
  return tf.tensor(d, shape);
}

/** max |a − b|, read with `await data()` (the read path that works on every backend). */
async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0] as number;
  d.dispose();
  return v;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTnzipError(e) ? e.code : `not a TnzipError: ${String(e)}`;
  }
  return 'no error';
}

describeBackends('dense layers', () => {
  it('Conv2d / Linear compute x * W + b with their documented layouts', async () => {
    const conv = new Conv2d('c', { inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'same', seed: 1 });
    conv.bias?.assign(tf.tensor1d([1, -2, 3]));
    const x = randn([2, 5, 5, 2], 3);
    const y = conv.apply(x);
    const ref = tf.tidy(() =>
      tf.add(tf.conv2d(x as tf.Tensor4D, conv.weight as tf.Tensor4D, 1, 'same'), conv.bias as tf.Tensor),
    );
    expect(y.shape).toEqual([2, 5, 5, 3]);
    expect(await maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    const lin = new Linear('l', { inFeatures: 4, outFeatures: 2, bias: false, seed: 2 });
    const v = randn([3, 4], 4);
    const ly = lin.apply(v);
    const lref = tf.matMul(v, lin.weight);
    expect(await maxAbsDiff(ly, lref)).toBeLessThan(1e-6);
    expect(lin.bias).toBeNull();
    tf.dispose([x, y, ref, v, ly, lref]);
    conv.dispose();
    lin.dispose();
  });

  it('layers sharing a local name start from different weights unless seeded alike', async () => {
    const a = new Conv2d('conv1', { inChannels: 2, outChannels: 2, kernelSize: 3 });
    const b = new Conv2d('conv1', { inChannels: 2, outChannels: 2, kernelSize: 3 });
    const c = new Conv2d('conv1', { inChannels: 2, outChannels: 2, kernelSize: 3, seed: 5 });
    const d = new Conv2d('other', { inChannels: 2, outChannels: 2, kernelSize: 3, seed: 5 });
    expect(await maxAbsDiff(a.weight, b.weight)).toBeGreaterThan(0);
    expect(await maxAbsDiff(c.weight, d.weight)).toBe(0);
    for (const m of [a, b, c, d]) m.dispose();
  });

  it('validates options and input shapes with TnzipError naming the layer', () => {
    expect(code(() => new Conv2d('c', { inChannels: 0, outChannels: 3, kernelSize: 3 }))).toBe('INVALID_ARGUMENT');
    expect(
      code(() => new Conv2d('c', { inChannels: 1, outChannels: 3, kernelSize: 3, padding: 'full' as 'same' })),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => new Conv2d('c', { inChannels: 1, outChannels: 3, kernelSize: [3, 0] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new Linear('l', { inFeatures: 2.5, outFeatures: 3 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new BatchNorm('b', { numFeatures: 4, momentum: 2 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new Dropout('d', { rate: 1 }))).toBe('INVALID_ARGUMENT');
    const conv = new Conv2d('conv9', { inChannels: 3, outChannels: 4, kernelSize: 3 });
    const x = tf.zeros([1, 8, 8, 2]);
    expect(() => conv.apply(x)).toThrow(TnzipError);
    expect(() => conv.apply(x)).toThrow(/layer 'conv9' expects input of shape \[\?, \?, 3\]/);
    const lin = new Linear('fc7', { inFeatures: 5, outFeatures: 2 });
    expect(() => lin.apply(x)).toThrow(/layer 'fc7' expects input of shape \[5\]/);
    expect(code(() => new MaxPool('p', { kernelSize: 2 }).apply(tf.zeros([2, 3])))).toBe('SHAPE_MISMATCH');
    tf.dispose(x);
    conv.dispose();
    lin.dispose();
  });

  it('BatchNorm: training normalizes with batch statistics and updates running stats; eval uses them', async () => {
    const bn = new BatchNorm('bn', { numFeatures: 3, momentum: 0.1, eps: 1e-5 });
    const x = tf.tidy(() => tf.add(tf.mul(randn([4, 5, 5, 3], 7), tf.tensor1d([1, 2, 3])), tf.tensor1d([5, -1, 0.5])));
    const y = bn.apply(x, { training: true });
    const m = tf.moments(y, [0, 1, 2]);
    const [mean, variance] = await takeAll([m.mean, m.variance]);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(mean?.[c] as number)).toBeLessThan(1e-5);
      expect(variance?.[c] as number).toBeCloseTo(1, 3);
    }
    const xm = tf.moments(x, [0, 1, 2]);
    const n = 4 * 5 * 5;
    const expMean = tf.mul(xm.mean, 0.1);
    const expVar = tf.add(0.9, tf.mul(xm.variance, (0.1 * n) / (n - 1)));
    expect(await maxAbsDiff(bn.runningMean, expMean)).toBeLessThan(1e-5);
    expect(await maxAbsDiff(bn.runningVar, expVar)).toBeLessThan(1e-4);
    const before = (await bn.runningMean.data()).slice();
    const ye = bn.apply(x, { training: false });
    const yref = tf.tidy(() => tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5))));
    expect(await maxAbsDiff(ye, yref)).toBeLessThan(1e-4);
    expect(await bn.runningMean.data()).toEqual(before);
    expect(bn.cost([5, 5, 3])).toEqual({ params: 6, macs: 0, outputShape: [5, 5, 3] });
    tf.dispose([x, y, xm.mean, xm.variance, expMean, expVar, ye, yref]);
    bn.dispose();
  });

  it('pooling, flatten, ReLU and global average pooling', async () => {
    const x = tf.tensor4d([1, -2, 3, 4, 5, -6, 7, 8, 9], [1, 3, 3, 1]);
    const mp = new MaxPool('mp', { kernelSize: 2, stride: 1 });
    expect(Array.from(await take(mp.apply(x)))).toEqual([5, 5, 8, 9]);
    const ap = new AvgPool('ap', { kernelSize: 2, stride: 2, padding: 'same' });
    // Padded cells are not counted: the bottom-right window holds 9 alone.
    expect(Array.from(await take(ap.apply(x)))).toEqual([2, -1.5, 7.5, 9]);
    expect(ap.cost([3, 3, 1]).outputShape).toEqual([2, 2, 1]);
    expect(Array.from(await take(new ReLU('r').apply(x)))).toEqual([1, 0, 3, 4, 5, 0, 7, 8, 9]);
    expect(new Flatten('f').apply(x).shape).toEqual([1, 9]);
    expect((await take(new GlobalAvgPool('g').apply(x)))[0]).toBeCloseTo(29 / 9, 5);
    tf.dispose(x);
  });

  it('Dropout: identity in eval, seeded inverted dropout in training', async () => {
    const x = tf.ones([50, 40]);
    const d1 = new Dropout('d', { rate: 0.25, seed: 9 });
    const d2 = new Dropout('d', { rate: 0.25, seed: 9 });
    const e = d1.apply(x);
    expect(await maxAbsDiff(e, x)).toBe(0);
    const a = d1.apply(x, { training: true });
    const b = d2.apply(x, { training: true });
    const vals = await a.data();
    const zeros = vals.filter((v) => v === 0).length / vals.length;
    expect(zeros).toBeGreaterThan(0.2);
    expect(zeros).toBeLessThan(0.3);
    expect(vals.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(Array.from(await b.data())).toEqual(Array.from(vals));
    const c = d1.apply(x, { training: true });
    expect(Array.from(await c.data())).not.toEqual(Array.from(vals));
    tf.dispose([x, e, a, b, c]);
  });

  it('Dropout state: namedStates/loadNamedStates carry the call counter, so a restored copy draws the same masks', async () => {
    const x = tf.ones([20, 30]);
    const net = (): Sequential =>
      new Sequential('net', [new Flatten('f'), new Dropout('drop', { rate: 0.5, seed: 4 }), new ReLU('r')]);
    const a = net();
    tf.dispose([a.apply(x, { training: true }), a.apply(x, { training: true })]);
    const saved = a.namedStates();
    expect([...saved]).toEqual([['drop', { calls: 2 }]]);
    const b = net();
    expect([...b.namedStates()]).toEqual([['drop', { calls: 0 }]]);
    b.loadNamedStates(saved);
    const ma = a.apply(x, { training: true });
    const mb = b.apply(x, { training: true });
    expect(Array.from(await mb.data())).toEqual(Array.from(await ma.data()));
    // modules without state have none; bad states and unknown paths are refused before anything is set
    expect(new ReLU('r').getState()).toBeUndefined();
    expect(code(() => new ReLU('r').setState({ calls: 1 }))).toBe('INVALID_ARGUMENT');
    for (const bad of [{ calls: -1 }, { calls: 1.5 }, 3, null, [1], { calls: '2' }])
      expect(code(() => b.loadNamedStates(new Map([['drop', bad]])))).toBe('INVALID_ARGUMENT');
    expect(code(() => b.loadNamedStates(new Map([['r', { calls: 1 }]])))).toBe('NOT_FOUND');
    expect(b.namedStates().get('drop')).toEqual({ calls: 3 });
    tf.dispose([x, ma, mb]);
  });

  it('Residual adds an identity or a ChannelPadShortcut (option A)', async () => {
    const x = randn([2, 4, 4, 2], 1);
    const sc = new ChannelPadShortcut('shortcut', { inChannels: 2, outChannels: 4, stride: 2 });
    const s = sc.apply(x);
    expect(s.shape).toEqual([2, 2, 2, 4]);
    const expected = tf.tidy(() => {
      const sub = tf.stridedSlice(x, [0, 0, 0, 0], [2, 4, 4, 2], [1, 2, 2, 1]);
      return tf.pad(sub, [
        [0, 0],
        [0, 0],
        [0, 0],
        [1, 1],
      ]);
    });
    expect(await maxAbsDiff(s, expected)).toBe(0);
    // gradient: the upstream gradient of the kept channels lands on the kept pixels, zeros elsewhere
    const r = randn([2, 2, 2, 4], 6);
    const [dx] = tf.grads((v: tf.Tensor) => tf.sum(tf.mul(sc.apply(v), r)))([x]);
    const expectedDx = tf.tidy(() => {
      const kept = tf.slice(r, [0, 0, 0, 1], [2, 2, 2, 2]);
      // [n·h, 1, w, c] padded to [n·h, 2, w, 2c] = [n, h, 2, w, 2, c] with values at index 0 of
      // both 2-axes (rank 4: tfjs-backend-webgpu's rank-6 pad does not compile).
      const up = tf.reshape(
        tf.pad(tf.reshape(kept, [4, 1, 2, 2]), [
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 2],
        ]),
        [2, 4, 4, 2],
      );
      return up;
    });
    expect(await maxAbsDiff(dx as tf.Tensor, expectedDx)).toBe(0);
    tf.dispose([r, dx as tf.Tensor, expectedDx]);
    const odd = randn([1, 5, 3, 2], 2);
    expect(sc.apply(odd).shape).toEqual([1, 3, 2, 4]);
    expect(sc.cost([5, 3, 2]).outputShape).toEqual([3, 2, 4]);
    const body = new Conv2d('conv', { inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1 });
    const res = new Residual('res', [body], null, { activation: 'relu' });
    const y = res.apply(x);
    const ref = tf.tidy(() => tf.relu(tf.add(body.apply(x), x)));
    expect(await maxAbsDiff(y, ref)).toBeLessThan(1e-6);
    const bad = new Residual('bad', new Conv2d('c', { inChannels: 2, outChannels: 3, kernelSize: 1 }));
    expect(code(() => bad.apply(x))).toBe('SHAPE_MISMATCH');
    tf.dispose([x, s, expected, odd, y, ref]);
    res.dispose();
    bad.dispose();
  });

  it('capture returns the named intermediate outputs and leaks nothing else', async () => {
    const m = lenet5();
    const x = randn([2, 28, 28, 1], 5);
    await expectNoLeakAsync(async () => {
      const { output, captured } = m.apply(x, { capture: ['conv1', 'pool2', 'fc1'] });
      expect([...captured.keys()].sort()).toEqual(['conv1', 'fc1', 'pool2']);
      expect(captured.get('conv1')?.shape).toEqual([2, 24, 24, 20]);
      expect(captured.get('pool2')?.shape).toEqual([2, 4, 4, 50]);
      const conv1 = m.children()[0] as Module;
      const direct = conv1.apply(x);
      expect(await maxAbsDiff(direct, captured.get('conv1') as tf.Tensor)).toBe(0);
      direct.dispose();
      return [output, [...captured.values()]];
    });
    expect(code(() => m.apply(x, { capture: ['nope'] }))).toBe('NOT_FOUND');
    tf.dispose(x);
    m.dispose();
  });

  it('config() rebuilds the architecture via createModule; stateDict round-trips the weights', async () => {
    const a = cifarResNet(20);
    const x = randn([2, 32, 32, 3], 8);
    // one training pass so that the BN running statistics are not at their init values
    tf.dispose(a.apply(x, { training: true }));
    const b = createModule(JSON.parse(JSON.stringify(a.config())));
    expect(b.namedParameters().map(([k, v]) => [k, v.shape])).toEqual(
      a.namedParameters().map(([k, v]) => [k, v.shape]),
    );
    expect(b.namedBuffers().map(([k]) => k)).toEqual(a.namedBuffers().map(([k]) => k));
    expect(b.namedParameters().map(([k]) => k)).toContain('layer2.0.conv1.weight');
    const state = a.stateDict();
    b.loadStateDict(state);
    const ya = a.apply(x);
    const yb = b.apply(x);
    expect(await maxAbsDiff(ya, yb)).toBe(0);
    const missing = new Map(state);
    missing.delete('fc.bias');
    expect(code(() => b.loadStateDict(missing))).toBe('NOT_FOUND');
    const wrong = new Map(state);
    const z = tf.zeros([3]);
    wrong.set('fc.bias', z);
    expect(code(() => b.loadStateDict(wrong))).toBe('SHAPE_MISMATCH');
    tf.dispose([x, ya, yb, z, ...state.values()]);
    a.dispose();
    b.dispose();
  });
});

describe('module configs', () => {
  it('every layer kind round-trips through config() and createModule', () => {
    const mods: Module[] = [
      new Conv2d('c', {
        inChannels: 2,
        outChannels: 3,
        kernelSize: [3, 1],
        stride: 2,
        padding: [
          [1, 0],
          [0, 0],
        ],
        dilation: 1,
        bias: false,
        seed: 4,
      }),
      new Linear('l', { inFeatures: 3, outFeatures: 2 }),
      new BatchNorm('b', { numFeatures: 3, momentum: 0.2, eps: 1e-3 }),
      new ReLU('r'),
      new MaxPool('m', { kernelSize: 3, stride: 2, padding: 'same' }),
      new AvgPool('a', { kernelSize: 2 }),
      new GlobalAvgPool('g'),
      new Flatten('f'),
      new Dropout('d', { rate: 0.5, seed: 3 }),
      new ChannelPadShortcut('s', { inChannels: 2, outChannels: 6, stride: 1 }),
      new Sequential('q', [new ReLU('r1'), new Residual('res', new ReLU('r2'))]),
    ];
    for (const m of mods) {
      const cfg = JSON.parse(JSON.stringify(m.config()));
      const rebuilt = createModule(cfg);
      expect(rebuilt.constructor).toBe(m.constructor);
      expect(rebuilt.config()).toEqual(cfg);
      rebuilt.dispose();
      m.dispose();
    }
    expect(code(() => createModule({ kind: 'conv2d', name: 'x', inChannels: 'two' }))).toBe('CORRUPT_FILE');
  });
});
