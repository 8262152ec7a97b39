import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheOnCpu } from '../cache-on-cpu.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../module.js';
import { CPConv2d } from './cp-conv2d.js';
import { checkGradients, probes, randomTensor, relError, run } from './helpers.test-util.js';
import { TTConv2d } from './tt-conv2d.js';
import { TTLinear } from './tt-linear.js';
import { Tucker2Conv2d } from './tucker2-conv2d.js';

function conv(
  name: string,
  s: number,
  t: number,
  k: [number, number],
  stride: [number, number],
  padding: 'same' | 'valid' | number,
  seed = 1,
): Conv2d {
  const c = new Conv2d(name, { inChannels: s, outChannels: t, kernelSize: k, stride, padding, seed });
  tf.tidy(() => (c.bias as tf.Variable).assign(randomTensor([t], seed + 1)));
  return c;
}

/** Factorized forward vs the dense layer built from toDense(): must agree to float32 precision. */
async function expectMatchesToDense(f: Module & { toDense(): Module }, x: tf.Tensor): Promise<void> {
  const d = f.toDense();
  const a = run(f, x);
  const b = run(d, x);
  expect(await relError(a, b)).toBeLessThan(1e-5);
  tf.dispose([a, b]);
  d.dispose();
}

describeBackends('factorized layers', (backend) => {
  let x: tf.Tensor;
  let xl: tf.Tensor;
  beforeAll(() => {
    x = randomTensor([2, 7, 6, 6], 3);
    xl = randomTensor([3, 12], 4);
  });
  afterAll(() => tf.dispose([x, xl]));

  describe('Tucker2Conv2d', () => {
    it('factorized forward equals toDense() forward, reconstructed mode too', async () => {
      for (const [stride, padding] of [
        [[1, 1], 'same'],
        [[2, 1], 'valid'],
        [[2, 2], 1],
      ] as const) {
        const c = conv('c', 6, 8, [3, 3], [...stride] as [number, number], padding);
        await cacheOnCpu(c);
        const f = Tucker2Conv2d.fromDense(c, { kind: 'tucker2', rankS: 3, rankT: 4 });
        await expectMatchesToDense(f, x);
        const a = run(f, x);
        f.mode = 'reconstructed';
        const b = run(f, x);
        expect(await relError(a, b)).toBeLessThan(1e-5);
        tf.dispose([a, b]);
        f.dispose();
        c.dispose();
      }
    });
    it('full ranks (and Tucker-1) reproduce the dense conv', async () => {
      const c = conv('c', 6, 8, [3, 2], [1, 2], 'same');
      const ref = run(c, x);
      for (const plan of [
        { kind: 'tucker2', rankS: 6, rankT: 8 },
        { kind: 'tucker2', rankS: null, rankT: 8 },
        { kind: 'tucker2', rankS: 6, rankT: null },
      ] as const) {
        await cacheOnCpu(c);
        const f = Tucker2Conv2d.fromDense(c, plan);
        const y = run(f, x);
        expect(await relError(y, ref)).toBeLessThan(1e-4);
        y.dispose();
        f.dispose();
      }
      ref.dispose();
      c.dispose();
    });
    it('rejects ranks out of range with INVALID_RANK naming the field and bound', () => {
      const c = conv('c', 6, 8, [3, 3], [1, 1], 'same');
      expect(() => Tucker2Conv2d.fromDense(c, { kind: 'tucker2', rankS: 7, rankT: 2 })).toThrow(
        /plan\.rankS must be an integer in \[1, 6\]/,
      );
      expect(() => Tucker2Conv2d.fromDense(c, { kind: 'tucker2', rankS: 2, rankT: 2.5 })).toThrow(TnzipError);
      c.dispose();
    });
    it('gradients match finite differences', async () => {
      const c = conv('c', 3, 4, [3, 3], [2, 1], 'same');
      await cacheOnCpu(c);
      const f = Tucker2Conv2d.fromDense(c, { kind: 'tucker2', rankS: 2, rankT: 3 });
      const xs = randomTensor([2, 5, 5, 3], 5);
      await checkGradients(f, xs, probes(backend));
      f.mode = 'reconstructed';
      await checkGradients(f, xs, probes(backend));
      tf.dispose(xs);
      f.dispose();
      c.dispose();
    });
    it('cost equals a hand count; params equal the trainable scalars; auto picks the cheaper', () => {
      const f = new Tucker2Conv2d('t', {
        inChannels: 16,
        outChannels: 32,
        kernelSize: [3, 3],
        stride: [2, 2],
        padding: 'same',
        rankS: 4,
        rankT: 8,
      });
      const cst = f.cost([8, 8, 16]);
      // 8x8 → 4x4; 16·4 + 4·8·9 + 8·32 + 32 params; 64·16·4 + 16·4·8·9 + 16·8·32 MACs
      expect(cst).toEqual({ params: 64 + 288 + 256 + 32, macs: 4096 + 4608 + 4096, outputShape: [4, 4, 32] });
      expect(cst.params).toBe(f.namedParameters().reduce((a, [, v]) => a + v.size, 0));
      const full = new Tucker2Conv2d('u', {
        inChannels: 4,
        outChannels: 4,
        kernelSize: [1, 1],
        rankS: 4,
        rankT: 4,
        mode: 'auto',
      });
      expect(full.effectiveMode([5, 5, 4])).toBe('reconstructed');
      expect(full.cost([5, 5, 4]).macs).toBe(25 * 16);
      f.dispose();
      full.dispose();
    });
  });

  describe('CPConv2d', () => {
    it('factorized forward equals toDense() forward (stride, dilation, padding)', async () => {
      for (const [stride, padding, dilation] of [
        [[1, 1], 'same', [1, 1]],
        [[2, 1], 'valid', [1, 1]],
        [[2, 2], 'same', [1, 1]],
        [[1, 1], 'same', [2, 1]],
      ] as const) {
        const f = new CPConv2d('cp', {
          inChannels: 6,
          outChannels: 8,
          kernelSize: [3, 2],
          stride: [...stride],
          padding,
          dilation: [...dilation],
          rank: 5,
          seed: 3,
        });
        tf.tidy(() => (f.bias as tf.Variable).assign(randomTensor([8], 9)));
        await expectMatchesToDense(f, x);
        f.dispose();
      }
    });
    it('fromDense recovers a kernel of exact CP rank', async () => {
      const src = new CPConv2d('cp', {
        inChannels: 4,
        outChannels: 5,
        kernelSize: [3, 3],
        padding: 'same',
        rank: 2,
        seed: 11,
      });
      const dense = src.toDense();
      await cacheOnCpu(dense);
      const f = CPConv2d.fromDense(dense, { kind: 'cp', rank: 2 }, { maxIter: 2000, tol: 0 });
      const xs = randomTensor([2, 6, 6, 4], 2);
      const a = run(f, xs);
      const b = run(dense, xs);
      expect(await relError(a, b)).toBeLessThan(1e-4);
      tf.dispose([a, b, xs]);
      f.dispose();
      src.dispose();
      dense.dispose();
    });
    it('gradients match finite differences', async () => {
      const f = new CPConv2d('cp', {
        inChannels: 3,
        outChannels: 4,
        kernelSize: [3, 3],
        stride: [2, 1],
        padding: 'same',
        rank: 3,
        seed: 5,
      });
      const xs = randomTensor([2, 5, 5, 3], 6);
      await checkGradients(f, xs, probes(backend));
      xs.dispose();
      f.dispose();
    });
    it('cost equals a hand count', () => {
      const f = new CPConv2d('cp', {
        inChannels: 16,
        outChannels: 32,
        kernelSize: [3, 3],
        stride: [2, 2],
        padding: 'same',
        rank: 10,
      });
      // 8x8 → 4x4: 64·16·10 + 4·8·10·3 + 16·10·3 + 16·10·32
      expect(f.cost([8, 8, 16])).toEqual({
        params: 10 * (16 + 3 + 3 + 32) + 32,
        macs: 10240 + 960 + 480 + 5120,
        outputShape: [4, 4, 32],
      });
      expect(f.cost([8, 8, 16]).params).toBe(f.namedParameters().reduce((a, [, v]) => a + v.size, 0));
      f.dispose();
    });
  });

  describe('TTLinear', () => {
    const lin = (): Linear => {
      const l = new Linear('fc', { inFeatures: 12, outFeatures: 6, seed: 2 });
      tf.tidy(() => (l.bias as tf.Variable).assign(randomTensor([6], 8)));
      return l;
    };
    it('factorized forward equals toDense() and reconstructed forwards', async () => {
      const l = lin();
      await cacheOnCpu(l);
      const f = TTLinear.fromDense(l, { kind: 'tt', rowDims: [2, 3], colDims: [4, 3], ranks: [3] });
      await expectMatchesToDense(f, xl);
      const a = run(f, xl);
      f.mode = 'reconstructed';
      const b = run(f, xl);
      expect(await relError(a, b)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
      f.dispose();
      l.dispose();
    });
    it('full ranks reproduce the dense layer', async () => {
      const l = lin();
      const ref = run(l, xl);
      await cacheOnCpu(l);
      const f = TTLinear.fromDense(l, { kind: 'tt', rowDims: [2, 1, 3], colDims: [2, 3, 2], ranks: [4, 6] });
      const y = run(f, xl);
      expect(await relError(y, ref)).toBeLessThan(1e-4);
      tf.dispose([y, ref]);
      f.dispose();
      l.dispose();
    });
    it('rejects bad dims and ranks', () => {
      const l = lin();
      expect(() => TTLinear.fromDense(l, { kind: 'tt', rowDims: [2, 3], colDims: [4, 3], ranks: [13] })).toThrow(
        /plan\.ranks\[0\] must be an integer in \[1, 8\]/,
      );
      expect(() => TTLinear.fromDense(l, { kind: 'tt', rowDims: [2, 2], colDims: [4, 3], ranks: [2] })).toThrow(
        TnzipError,
      );
      l.dispose();
    });
    it('gradients match finite differences', async () => {
      const f = new TTLinear('tt', {
        inFeatures: 12,
        outFeatures: 6,
        rowDims: [2, 3],
        colDims: [4, 3],
        ranks: [2],
        seed: 1,
      });
      await checkGradients(f, xl, probes(backend));
      f.dispose();
    });
    it('cost equals a hand count', () => {
      const f = new TTLinear('tt', { inFeatures: 12, outFeatures: 6, rowDims: [2, 3], colDims: [4, 3], ranks: [2] });
      // cores [1,2,4,2], [2,3,3,1]; MACs: 1·2·2·4·(1)(3) + 2·1·3·3·(2)(1)
      expect(f.cost([12])).toEqual({ params: 16 + 18 + 6, macs: 48 + 36, outputShape: [6] });
      f.dispose();
    });
  });

  describe('TTConv2d', () => {
    it('factorized forward equals toDense() and reconstructed forwards', async () => {
      const c = conv('c', 6, 8, [3, 3], [2, 1], 'same');
      await cacheOnCpu(c);
      const f = TTConv2d.fromDense(c, { kind: 'tt', rowDims: [2, 4], colDims: [3, 2], ranks: [2, 3, 4, 2] });
      await expectMatchesToDense(f, x);
      const a = run(f, x);
      f.mode = 'reconstructed';
      const b = run(f, x);
      expect(await relError(a, b)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
      f.dispose();
      c.dispose();
    });
    it('full ranks reproduce the dense conv', async () => {
      const c = conv('c', 6, 8, [3, 3], [1, 1], 'valid');
      const ref = run(c, x);
      await cacheOnCpu(c);
      const f = TTConv2d.fromDense(c, { kind: 'tt', rowDims: [2, 4], colDims: [3, 2], ranks: [3, 6, 8, 4] });
      const y = run(f, x);
      expect(await relError(y, ref)).toBeLessThan(1e-4);
      tf.dispose([y, ref]);
      f.dispose();
      c.dispose();
    });
    it('gradients match finite differences', async () => {
      const f = new TTConv2d('tt', {
        inChannels: 4,
        outChannels: 4,
        kernelSize: [3, 3],
        padding: 'same',
        rowDims: [2, 2],
        colDims: [2, 2],
        ranks: [2, 2, 2, 2],
        seed: 4,
      });
      const xs = randomTensor([2, 4, 4, 4], 1);
      await checkGradients(f, xs, probes(backend));
      xs.dispose();
      f.dispose();
    });
    it('cost equals a hand count', () => {
      const f = new TTConv2d('tt', {
        inChannels: 4,
        outChannels: 6,
        kernelSize: [3, 3],
        padding: 'same',
        rowDims: [2, 3],
        colDims: [2, 2],
        ranks: [2, 3, 4, 3],
      });
      // in cores [1,2,2], [2,2,3]; spatial [3,3,3,4]; out cores [4,2,3], [3,3,1]
      const params = 4 + 12 + 108 + 24 + 9 + 6;
      // per input pixel: 1·2·2·2 + 2·3·2·1 = 20; conv 9·3·4 = 108; per output pixel: 4·3·2·1 + 3·1·3·2 = 42
      expect(f.cost([5, 5, 4])).toEqual({ params, macs: 25 * (20 + 108 + 42), outputShape: [5, 5, 6] });
      f.dispose();
    });
  });

  it('no tensor leak in forward passes and training steps', async () => {
    const layers: Array<[Module, tf.Tensor]> = [
      [
        new Tucker2Conv2d('a', {
          inChannels: 6,
          outChannels: 8,
          kernelSize: [3, 3],
          padding: 'same',
          rankS: 3,
          rankT: 4,
        }),
        x,
      ],
      [
        new CPConv2d('b', {
          inChannels: 6,
          outChannels: 8,
          kernelSize: [3, 3],
          stride: [2, 2],
          padding: 'same',
          rank: 3,
        }),
        x,
      ],
      [new TTLinear('c', { inFeatures: 12, outFeatures: 6, rowDims: [2, 3], colDims: [4, 3], ranks: [2] }), xl],
      [
        new TTConv2d('d', {
          inChannels: 6,
          outChannels: 8,
          kernelSize: [3, 3],
          padding: 'same',
          rowDims: [2, 4],
          colDims: [3, 2],
          ranks: [2, 2, 2, 2],
        }),
        x,
      ],
    ];
    for (const [m, input] of layers) {
      expectNoLeak(() => run(m, input));
      const opt = tf.train.sgd(0.01);
      const step = (): void => {
        const cost = opt.minimize(() => tf.mean(tf.square(m.apply(input, { training: true }))) as tf.Scalar, true);
        cost?.dispose();
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
      m.dispose();
    }
  });
});
