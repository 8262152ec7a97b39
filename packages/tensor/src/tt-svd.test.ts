import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor64 } from './float64.js';
import { Rng, svd64, TnzipError, ttRankBounds, ttRanks, ttSvd, ttSvd64, ttToTensor, ttToTensor64 } from './index.js';

const SEED = 20240611;

function gaussian(shape: number[], seed: number): Tensor64 {
  const rng = new Rng(seed);
  let n = 1;
  for (const d of shape) n *= d;
  return { shape, data: rng.normals(n) };
}

function norm(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

/** max |UᵀU − I| for the [r0·n, r1] unfolding of a core. */
function orthoDefect(core: { shape: readonly number[]; data: ArrayLike<number> }): number {
  const [r0, n, r1] = core.shape as [number, number, number];
  const rows = r0 * n;
  let worst = 0;
  for (let a = 0; a < r1; a++) {
    for (let b = 0; b < r1; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += (core.data[i * r1 + a] as number) * (core.data[i * r1 + b] as number);
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 6 });

describe('ttSvd64 (float64)', () => {
  it('full TT ranks reconstruct to ~1e-12 and reach the bounds when the tensor is generic', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), (shape, seed) => {
        const x = gaussian(shape, seed);
        const tt = ttSvd64(x, { ranks: ttRankBounds(shape) });
        expect(ttRanks(tt)).toEqual([1, ...ttRankBounds(shape), 1]);
        const rec = ttToTensor64(tt);
        expect(rec.shape).toEqual(shape);
        expect(diffNorm(rec.data, x.data) / norm(x.data)).toBeLessThan(1e-12);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('meets the Oseledets bound ‖x − tt‖ ≤ eps‖x‖ for random eps, with ranks within the bounds', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), fc.double({ min: 0.01, max: 0.95, noNaN: true }), (shape, seed, eps) => {
        const x = gaussian(shape, seed);
        const tt = ttSvd64(x, { eps });
        const err = diffNorm(ttToTensor64(tt).data, x.data);
        // 1e-12 slack: the bound is exact in exact arithmetic; float64 round-off is ~1e-15·‖x‖.
        expect(err).toBeLessThanOrEqual(eps * norm(x.data) * (1 + 1e-12) + 1e-12);
        const bounds = ttRankBounds(shape);
        ttRanks(tt)
          .slice(1, -1)
          .forEach((r, k) => {
            expect(r).toBeLessThanOrEqual(bounds[k] as number);
          });
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('eps chooses the smallest ranks: a low-TT-rank tensor is recovered at its own ranks', () => {
    // x = TT with ranks [2, 3] built from random cores: TT-SVD at eps 1e-8 must find exactly [2, 3].
    const rng = new Rng(7);
    const cores = [
      { shape: [1, 5, 2], data: rng.normals(10) },
      { shape: [2, 6, 3], data: rng.normals(36) },
      { shape: [3, 7, 1], data: rng.normals(21) },
    ];
    const x = ttToTensor64({ cores });
    const tt = ttSvd64(x, { eps: 1e-8 });
    expect(ttRanks(tt)).toEqual([1, 2, 3, 1]);
    expect(diffNorm(ttToTensor64(tt).data, x.data) / norm(x.data)).toBeLessThan(1e-12);
  });

  it('cores 1..d−1 are left-orthonormal (eps and maxRank modes)', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(1000), fc.integer({ min: 1, max: 5 }), (shape, seed, maxRank) => {
        const x = gaussian(shape, seed);
        for (const tt of [ttSvd64(x, { eps: 0.3 }), ttSvd64(x, { maxRank })]) {
          for (const core of tt.cores.slice(0, -1)) expect(orthoDefect(core)).toBeLessThan(1e-12);
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('fixed ranks give exactly the requested core shapes', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) =>
          fc.tuple(
            fc.constant(shape),
            fc.tuple(...ttRankBounds(shape).map((b) => fc.integer({ min: 1, max: b }))),
            fc.nat(1000),
          ),
        ),
        ([shape, ranks, seed]) => {
          const tt = ttSvd64(gaussian(shape, seed), { ranks });
          expect(ttRanks(tt)).toEqual([1, ...ranks, 1]);
          tt.cores.forEach((c, k) => {
            expect(c.shape[1]).toBe(shape[k]);
          });
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('order 2 with a fixed rank is the optimal (Eckart–Young) truncation', () => {
    const x = gaussian([9, 14], 3);
    const s = svd64({ rows: 9, cols: 14, data: x.data }).s;
    for (const r of [1, 4, 8]) {
      const err = diffNorm(ttToTensor64(ttSvd64(x, { ranks: [r] })).data, x.data);
      let tail = 0;
      for (let i = r; i < s.length; i++) tail += (s[i] as number) ** 2;
      expect(err).toBeCloseTo(Math.sqrt(tail), 10);
    }
  });

  it('maxRank alone caps every rank at min(maxRank, bound)', () => {
    const x = gaussian([3, 4, 5, 6], 11);
    const tt = ttSvd64(x, { maxRank: 4 });
    expect(ttRanks(tt)).toEqual([1, 3, 4, 4, 1]);
    const capped = ttSvd64(x, { eps: 1e-6, maxRank: 2 });
    expect(ttRanks(capped)).toEqual([1, 2, 2, 2, 1]);
  });

  it('rank lists above r_{k-1}·n_k keep the requested shapes with zero padding, still exact', () => {
    // dims (2,2,2,2): bounds [2, 4, 2]; ranks [1, 4, 2] asks r_2 = 4 > r_1·n_2 = 2.
    const x = gaussian([2, 2, 2, 2], 5);
    const tt = ttSvd64(x, { ranks: [1, 4, 2] });
    expect(ttRanks(tt)).toEqual([1, 1, 4, 2, 1]);
    const plain = ttSvd64(x, { ranks: [1, 2, 2] });
    expect(diffNorm(ttToTensor64(tt).data, ttToTensor64(plain).data)).toBeLessThan(1e-12);
  });

  it('an order-1 tensor is a single core [1, n, 1] and the zero tensor gives rank-1 zero cores', () => {
    const v = gaussian([7], 1);
    const tt = ttSvd64(v, { eps: 0.1 });
    expect(tt.cores).toHaveLength(1);
    expect(tt.cores[0]?.shape).toEqual([1, 7, 1]);
    expect(Array.from(tt.cores[0]?.data ?? [])).toEqual(Array.from(v.data));
    const z = ttSvd64({ shape: [3, 4, 2], data: new Float64Array(24) }, { eps: 0.5 });
    expect(ttRanks(z)).toEqual([1, 1, 1, 1]);
    expect(norm(ttToTensor64(z).data)).toBe(0);
  });

  it('is deterministic: the same input gives bit-identical cores', () => {
    const x = gaussian([4, 3, 5, 2], 99);
    const a = ttSvd64(x, { eps: 0.2 });
    const b = ttSvd64({ shape: [4, 3, 5, 2], data: Float64Array.from(x.data) }, { eps: 0.2 });
    expect(a.cores.map((c) => Array.from(c.data))).toEqual(b.cores.map((c) => Array.from(c.data)));
  });

  it('does not modify its input', () => {
    const x = gaussian([3, 4, 5], 4);
    const copy = Float64Array.from(x.data);
    ttSvd64(x, { ranks: [2, 3] });
    expect(Array.from(x.data)).toEqual(Array.from(copy));
  });

  describe('rejects bad input with TnzipError', () => {
    const x = gaussian([2, 3, 4], 1); // bounds [2, 4]
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TnzipError);
        return (e as TnzipError).code;
      }
      throw new Error('did not throw');
    };
    it('ranks above the bound', () => expect(code(() => ttSvd64(x, { ranks: [3, 2] }))).toBe('INVALID_RANK'));
    it('ranks below 1', () => expect(code(() => ttSvd64(x, { ranks: [0, 2] }))).toBe('INVALID_RANK'));
    it('non-integer ranks', () => expect(code(() => ttSvd64(x, { ranks: [1.5, 2] }))).toBe('INVALID_RANK'));
    it('wrong number of ranks', () => expect(code(() => ttSvd64(x, { ranks: [2] }))).toBe('INVALID_RANK'));
    it('eps out of (0, 1)', () => {
      for (const eps of [0, 1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(code(() => ttSvd64(x, { eps }))).toBe('INVALID_ARGUMENT');
      }
    });
    it('maxRank below 1 or non-integer', () => {
      expect(code(() => ttSvd64(x, { maxRank: 0 }))).toBe('INVALID_RANK');
      expect(code(() => ttSvd64(x, { maxRank: 2.5 }))).toBe('INVALID_RANK');
    });
    it('both ranks and eps, or neither', () => {
      expect(code(() => ttSvd64(x, { ranks: [1, 1], eps: 0.1 } as never))).toBe('INVALID_ARGUMENT');
      expect(code(() => ttSvd64(x, {} as never))).toBe('INVALID_ARGUMENT');
    });
    it('NaN or Infinity in x', () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const y = { shape: [2, 3, 4], data: Float64Array.from(x.data) };
        y.data[5] = bad;
        expect(code(() => ttSvd64(y, { eps: 0.1 }))).toBe('NON_FINITE');
      }
    });
    it('shape mismatch and order 0', () => {
      expect(code(() => ttSvd64({ shape: [2, 3], data: new Float64Array(5) }, { eps: 0.1 }))).toBe('SHAPE_MISMATCH');
      expect(code(() => ttSvd64({ shape: [], data: new Float64Array(1) }, { eps: 0.1 }))).toBe('SHAPE_MISMATCH');
    });
  });
});

describeBackends('ttSvd', () => {
  it('full rank reconstructs through ttToTensor to relative error < 1e-5 (float32)', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(1000), async (shape, seed) => {
        await expectNoLeakAsync(async () => {
          const x = tf.tensor(Float32Array.from(gaussian(shape, seed).data), shape);
          const tt = ttSvd(x, { ranks: ttRankBounds(shape) });
          const rel = tf.tidy(() => tf.div(tf.norm(tf.sub(ttToTensor(tt), x)), tf.norm(x)));
          expect((await rel.data())[0]).toBeLessThan(1e-5);
          return [x, tt, rel];
        });
      }),
      { seed: SEED, numRuns: 15 },
    );
  });

  it('cores are left-orthonormal to 1e-5 and the eps bound holds in float32 up to rounding', async () => {
    await expectNoLeakAsync(async () => {
      const shape = [4, 3, 4, 2, 3];
      const x = tf.tensor(Float32Array.from(gaussian(shape, 8).data), shape);
      const tt = ttSvd(x, { eps: 0.25 });
      for (const c of tt.cores.slice(0, -1))
        expect(orthoDefect({ shape: c.shape, data: await c.data() })).toBeLessThan(1e-5);
      const rel = tf.tidy(() => tf.div(tf.norm(tf.sub(ttToTensor(tt), x)), tf.norm(x)));
      expect((await rel.data())[0]).toBeLessThanOrEqual(0.25 + 1e-5);
      return [x, tt, rel];
    });
  });

  it('rejects NaN in a tf tensor and leaks nothing when it throws', () => {
    expectNoLeak(() => {
      const x = tf.tensor([1, Number.NaN, 3, 4], [2, 2]);
      expect(() => ttSvd(x, { eps: 0.1 })).toThrowError(TnzipError);
      return x;
    });
  });
});
