import * as tf from '@tensorflow/tfjs-core';
import { Rng, TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { type Padding, resolvePads } from './conv-geometry.js';
import { fastConv2d } from './fast-conv2d.js';
import { referenceConv, relErr } from './reference-conv.test-util.js';
import { withStockGradients } from './register-gradients.js';

interface Case {
  n: number;
  h: number;
  w: number;
  s: number;
  t: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  seed: number;
}

const paddingArb: fc.Arbitrary<Padding> = fc.oneof(
  fc.constant('valid' as const),
  fc.constant('same' as const),
  fc.integer({ min: 0, max: 2 }),
  fc.tuple(fc.tuple(fc.nat(3), fc.nat(3)), fc.tuple(fc.nat(3), fc.nat(3))),
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  s: fc.integer({ min: 1, max: 3 }),
  t: fc.integer({ min: 1, max: 3 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: paddingArb,
  seed: fc.nat(1000),
});

function fits(c: Case): boolean {
  const pads = resolvePads(c.h, c.w, [c.kh, c.kw], c.stride, c.padding, c.dilation);
  return (
    c.h + pads.top + pads.bottom >= (c.kh - 1) * c.dilation[0] + 1 &&
    c.w + pads.left + pads.right >= (c.kw - 1) * c.dilation[1] + 1
  );
}

function data(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Value and gradients of Σ y ⊙ R through fastConv2d, read with `await data()` (every backend). */
async function fastGrads(c: Case, xd: Float32Array, wd: Float32Array, rd: Float32Array | null) {
  const [y, dx, dw] = tf.tidy(() => {
    const x = tf.tensor4d(xd, [c.n, c.h, c.w, c.s]);
    const w = tf.tensor4d(wd, [c.kh, c.kw, c.s, c.t]);
    const y = fastConv2d(x, w, c);
    const r = rd === null ? tf.onesLike(y) : tf.tensor(rd, y.shape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(fastConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c), r)),
    );
    const [dx, dw] = g([x, w]);
    return [y, dx as tf.Tensor, dw as tf.Tensor] as const;
  });
  const [yv, dxv, dwv] = await Promise.all([y.data(), dx.data(), dw.data()]);
  const yShape = y.shape;
  tf.dispose([y, dx, dw]);
  return { y: yv as Float32Array, yShape, dx: dxv as Float32Array, dw: dwv as Float32Array };
}

describeBackends('fastConv2d', (backend) => {
  it('matches the float64 definition in value and both gradients over random geometries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        fc.pre(fits(c));
        const rng = new Rng(c.seed);
        const xd = data(c.n * c.h * c.w * c.s, rng);
        const wd = data(c.kh * c.kw * c.s * c.t, rng);
        const pads = resolvePads(c.h, c.w, [c.kh, c.kw], c.stride, c.padding, c.dilation);
        const probe = referenceConv(
          xd,
          [c.n, c.h, c.w, c.s],
          wd,
          [c.kh, c.kw, c.s, c.t],
          null,
          c.stride,
          pads,
          c.dilation,
        );
        const rd = data(probe.y.length, rng);
        const ref = referenceConv(xd, [c.n, c.h, c.w, c.s], wd, [c.kh, c.kw, c.s, c.t], rd, c.stride, pads, c.dilation);
        const got = await fastGrads(c, xd, wd, rd);
        expect(got.yShape).toEqual(ref.outShape);
        // float32 sums of at most ~150 products of N(0,1) terms: 1e-4 relative is ~100 ulps of slack.
        expect(relErr(got.y, ref.y)).toBeLessThan(1e-4);
        expect(relErr(got.dx, ref.dx)).toBeLessThan(1e-4);
        expect(relErr(got.dw, ref.dw)).toBeLessThan(1e-4);
      }),
      // SwiftShader compiles shaders for every new geometry (~0.2 s a case): fewer cases on webgpu.
      { seed: 20240601, numRuns: backend === 'webgpu' ? 30 : 120 },
    );
  });

  if (backend === 'cpu') {
    it("matches tfjs-cpu's built-in conv2d gradients where tfjs allows the geometry (property)", async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          fc.pre(fits(c));
          // tfjs's own Conv2D gradient rejects any dilation > 1 (fastConv2d supports it).
          fc.pre(c.dilation.every((d) => d === 1));
          const rng = new Rng(c.seed);
          const xd = data(c.n * c.h * c.w * c.s, rng);
          const wd = data(c.kh * c.kw * c.s * c.t, rng);
          const got = await fastGrads(c, xd, wd, null);
          const pads = resolvePads(c.h, c.w, [c.kh, c.kw], c.stride, c.padding, c.dilation);
          const ex: [[number, number], [number, number], [number, number], [number, number]] = [
            [0, 0],
            [pads.top, pads.bottom],
            [pads.left, pads.right],
            [0, 0],
          ];
          const ref = withStockGradients(() =>
            tf.tidy(() => {
              const x = tf.tensor4d(xd, [c.n, c.h, c.w, c.s]);
              const w = tf.tensor4d(wd, [c.kh, c.kw, c.s, c.t]);
              const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, ex, 'NHWC', c.dilation)),
              )([x, w]);
              return { dx: (dx as tf.Tensor).dataSync().slice(), dw: (dw as tf.Tensor).dataSync().slice() };
            }),
          );
          expect(relErr(got.dx, ref.dx)).toBeLessThan(1e-4);
          expect(relErr(got.dw, ref.dw)).toBeLessThan(1e-4);
        }),
        { seed: 7, numRuns: 100 },
      );
    });
  }

  it('matches central finite differences on a small strided, padded case', async () => {
    const c: Case = {
      n: 2,
      h: 5,
      w: 4,
      s: 2,
      t: 2,
      kh: 3,
      kw: 2,
      stride: [2, 1],
      dilation: [1, 1],
      padding: [
        [1, 0],
        [0, 1],
      ],
      seed: 3,
    };
    const rng = new Rng(11);
    const xd = data(2 * 5 * 4 * 2, rng);
    const wd = data(3 * 2 * 2 * 2, rng);
    const got = await fastGrads(c, xd, wd, null);
    // f is linear in each argument, so the central difference is exact up to float32 rounding of f (~1e-6·|f| / eps).
    const f = async (xa: Float32Array, wa: Float32Array): Promise<number> => {
      const t = tf.tidy(() => tf.sum(fastConv2d(tf.tensor4d(xa, [2, 5, 4, 2]), tf.tensor4d(wa, [3, 2, 2, 2]), c)));
      const v = (await t.data())[0] as number;
      t.dispose();
      return v;
    };
    const eps = 1e-2;
    for (const i of [0, 7, 19, 33]) {
      const p = xd.slice();
      const m = xd.slice();
      p[i] = (p[i] as number) + eps;
      m[i] = (m[i] as number) - eps;
      expect(((await f(p, wd)) - (await f(m, wd))) / (2 * eps)).toBeCloseTo(got.dx[i] as number, 2);
    }
    for (const i of [0, 5, 13, 23]) {
      const p = wd.slice();
      const m = wd.slice();
      p[i] = (p[i] as number) + eps;
      m[i] = (m[i] as number) - eps;
      expect(((await f(xd, p)) - (await f(xd, m))) / (2 * eps)).toBeCloseTo(got.dw[i] as number, 2);
    }
  });

  it('computes only the gradients the tape needs: no input gradient for data', async () => {
    const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
    const g = { stride: [1, 1], padding: 'same', dilation: [1, 1] } as const;
    const convKernels = async (xs: tf.Tensor4D): Promise<number> => {
      const info = await tf.profile(() => {
        const r = tf.variableGrads(
          () =>
            tf.sum(
              fastConv2d(fastConv2d(xs, w as unknown as tf.Tensor4D, g), tf.ones([1, 1, 4, 3]) as tf.Tensor4D, g),
            ) as tf.Scalar,
        );
        tf.dispose([r.value, ...Object.values(r.grads)]);
      });
      return info.kernels.filter((k) => k.name === 'Conv2D').length;
    };
    // 2 forward convs + dW of the first + dx of the second (the second's filter is a constant);
    // no dx of the first conv, whose input is data.
    expect(await convKernels(x)).toBe(4);
    tf.dispose([x, w]);
  });

  it('leaks no tensor in forward and backward', () => {
    const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    expectNoLeak(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(fastConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride: [2, 2], padding: 'same', dilation: [1, 1] })),
      )([x, w]),
    );
    expectNoLeak(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(fastConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride: [2, 2], padding: 1, dilation: [2, 2] })),
      )([x, w]),
    );
    tf.dispose([x, w]);
  });

  it('rejects mismatched channels and kernels larger than the padded input', () => {
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 1]) as tf.Tensor4D;
    const big = tf.zeros([5, 5, 3, 1]) as tf.Tensor4D;
    const g = { stride: [1, 1], padding: 'valid', dilation: [1, 1] } as const;
    expect(() => fastConv2d(x, w, g)).toThrow(TnzipError);
    expect(() => fastConv2d(x, big, g)).toThrow(/smaller than the effective kernel/);
    expect(() => fastConv2d(x, big, { ...g, stride: [0, 1] })).toThrow(/stride/);
    tf.dispose([x, w, big]);
  });
});
