import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor64 } from './float64.js';
import type { TT64 } from './index.js';
import {
  Rng,
  svd64,
  TnzipError,
  ttRankBounds,
  ttRanks,
  ttRound,
  ttRound64,
  ttToTensor,
  ttToTensor64,
} from './index.js';

const SEED = 777;

function randomTT(dims: number[], ranks: number[], seed: number): TT64 {
  const rng = new Rng(seed);
  const full = [1, ...ranks, 1];
  return {
    cores: dims.map((n, k) => {
      const shape = [full[k] as number, n, full[k + 1] as number];
      return { shape, data: rng.normals(shape[0]! * n * shape[2]!) };
    }),
  };
}

/** tt + tt as a TT with doubled internal ranks (block-diagonal cores): redundant by construction. */
function doubled(tt: TT64): TT64 {
  const d = tt.cores.length;
  return {
    cores: tt.cores.map((c, k) => {
      const [r0, n, r1] = c.shape as [number, number, number];
      const R0 = k === 0 ? 1 : 2 * r0;
      const R1 = k === d - 1 ? 1 : 2 * r1;
      const out = new Float64Array(R0 * n * R1);
      for (let copy = 0; copy < 2; copy++) {
        const o0 = k === 0 ? 0 : copy * r0;
        const o1 = k === d - 1 ? 0 : copy * r1;
        for (let a = 0; a < r0; a++)
          for (let i = 0; i < n; i++)
            for (let b = 0; b < r1; b++) {
              const t = ((o0 + a) * n + i) * R1 + o1 + b;
              // Single-core case: the two copies sum.
              out[t] = (d === 1 ? (out[t] as number) : 0) + (c.data[(a * n + i) * r1 + b] as number);
            }
      }
      return { shape: [R0, n, R1], data: out };
    }),
  };
}

function norm(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

function diffNorm(a: Tensor64, b: Tensor64): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += ((a.data[i] as number) - (b.data[i] as number)) ** 2;
  return Math.sqrt(s);
}

function orthoDefect(core: { shape: readonly number[]; data: ArrayLike<number> }): number {
  const [r0, n, r1] = core.shape as [number, number, number];
  let worst = 0;
  for (let a = 0; a < r1; a++)
    for (let b = 0; b < r1; b++) {
      let s = 0;
      for (let i = 0; i < r0 * n; i++) s += (core.data[i * r1 + a] as number) * (core.data[i * r1 + b] as number);
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  return worst;
}

const ttArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 6 })
  .chain((dims) =>
    fc.tuple(fc.constant(dims), fc.tuple(...ttRankBounds(dims).map((b) => fc.integer({ min: 1, max: b })))),
  );

describe('ttRound64 (float64)', () => {
  it('meets ‖tt − rounded‖ ≤ eps‖tt‖, never increases ranks, and leaves cores 1..d−1 left-orthonormal', () => {
    fc.assert(
      fc.property(ttArb, fc.nat(1000), fc.double({ min: 0.01, max: 0.95, noNaN: true }), ([dims, ranks], seed, eps) => {
        const tt = randomTT(dims, ranks, seed);
        const rounded = ttRound64(tt, { eps });
        const x = ttToTensor64(tt);
        expect(diffNorm(ttToTensor64(rounded), x)).toBeLessThanOrEqual(eps * norm(x.data) * (1 + 1e-10) + 1e-12);
        const before = ttRanks(tt);
        ttRanks(rounded).forEach((r, k) => {
          expect(r).toBeLessThanOrEqual(before[k] as number);
        });
        for (const c of rounded.cores.slice(0, -1)) expect(orthoDefect(c)).toBeLessThan(1e-12);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('removes redundancy: tt + tt (doubled ranks) rounds back to the original ranks, exactly', () => {
    fc.assert(
      fc.property(ttArb, fc.nat(1000), ([dims, ranks], seed) => {
        const tt = randomTT(dims, ranks, seed);
        const twice = doubled(tt);
        const x2 = ttToTensor64(twice);
        const rounded = ttRound64(twice, { eps: 1e-6 });
        const orig = ttRanks(tt);
        ttRanks(rounded).forEach((r, k) => {
          expect(r).toBeLessThanOrEqual(orig[k] as number);
        });
        expect(diffNorm(ttToTensor64(rounded), x2) / norm(x2.data)).toBeLessThan(1e-6);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('fixed ranks: min(requested, current) and, for d = 2, the Eckart–Young optimum', () => {
    const tt = randomTT([6, 7], [6], 3);
    const x = ttToTensor64(tt);
    const s = svd64({ rows: 6, cols: 7, data: x.data }).s;
    for (const r of [1, 3, 5]) {
      const rounded = ttRound64(tt, { ranks: [r] });
      expect(ttRanks(rounded)).toEqual([1, r, 1]);
      let tail = 0;
      for (let i = r; i < s.length; i++) tail += (s[i] as number) ** 2;
      expect(diffNorm(ttToTensor64(rounded), x)).toBeCloseTo(Math.sqrt(tail), 9);
    }
    // Asking for more than the tensor has never adds rank.
    const small = randomTT([3, 4, 5], [2, 2], 4);
    expect(ttRanks(ttRound64(small, { ranks: [3, 5] }))).toEqual([1, 2, 2, 1]);
    expect(ttRanks(ttRound64(small, { maxRank: 1 }))).toEqual([1, 1, 1, 1]);
  });

  it('is deterministic, does not modify its input and handles order 1', () => {
    const tt = randomTT([3, 4, 2, 3], [3, 4, 3], 9);
    const copy = tt.cores.map((c) => Array.from(c.data));
    const a = ttRound64(tt, { eps: 0.3 });
    const b = ttRound64(tt, { eps: 0.3 });
    expect(a.cores.map((c) => Array.from(c.data))).toEqual(b.cores.map((c) => Array.from(c.data)));
    expect(tt.cores.map((c) => Array.from(c.data))).toEqual(copy);
    const one = randomTT([5], [], 1);
    expect(Array.from(ttRound64(one, { eps: 0.5 }).cores[0]?.data ?? [])).toEqual(Array.from(one.cores[0]?.data ?? []));
  });

  describe('rejects bad input with TnzipError', () => {
    const tt = randomTT([2, 3, 4], [2, 2], 1); // bounds [2, 4]
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TnzipError);
        return (e as TnzipError).code;
      }
      throw new Error('did not throw');
    };
    it('eps out of (0, 1)', () => {
      for (const eps of [0, 1, -1, Number.NaN]) expect(code(() => ttRound64(tt, { eps }))).toBe('INVALID_ARGUMENT');
    });
    it('ranks above the bound, below 1, non-integer, wrong count', () => {
      expect(code(() => ttRound64(tt, { ranks: [3, 2] }))).toBe('INVALID_RANK');
      expect(code(() => ttRound64(tt, { ranks: [0, 2] }))).toBe('INVALID_RANK');
      expect(code(() => ttRound64(tt, { ranks: [1, 2.5] }))).toBe('INVALID_RANK');
      expect(code(() => ttRound64(tt, { ranks: [1] }))).toBe('INVALID_RANK');
    });
    it('NaN / Infinity in a core', () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const t = { cores: tt.cores.map((c) => ({ shape: c.shape, data: Float64Array.from(c.data) })) };
        t.cores[2]!.data[1] = bad;
        expect(code(() => ttRound64(t, { eps: 0.1 }))).toBe('NON_FINITE');
      }
    });
    it('a broken core chain', () => {
      const t = { cores: [tt.cores[0]!, { shape: [3, 3, 2], data: new Float64Array(18) }, tt.cores[2]!] };
      expect(code(() => ttRound64(t, { eps: 0.1 }))).toBe('SHAPE_MISMATCH');
    });
  });
});

describeBackends('ttRound', () => {
  it('rounds tf cores within the bound, returns new tensors and leaks nothing', async () => {
    await expectNoLeakAsync(async () => {
      const tt64 = doubled(randomTT([3, 4, 3, 2], [3, 4, 2], 12));
      const tt = {
        cores: tt64.cores.map((c) => tf.tensor3d(Float32Array.from(c.data), c.shape as [number, number, number])),
      };
      const rounded = ttRound(tt, { eps: 0.1 });
      expect(ttRanks(rounded).every((r, k) => r <= (ttRanks(tt)[k] as number))).toBe(true);
      const rel = tf.tidy(() => {
        const x = ttToTensor(tt);
        return tf.div(tf.norm(tf.sub(ttToTensor(rounded), x)), tf.norm(x));
      });
      expect((await rel.data())[0]).toBeLessThanOrEqual(0.1 + 1e-5);
      expect(tt.cores.every((c) => !c.isDisposed)).toBe(true);
      return [tt, rounded, rel];
    });
  });

  it('rejects NaN in tf cores', () => {
    expectNoLeak(() => {
      const a = tf.tensor3d([1, Number.NaN], [1, 2, 1]);
      expect(() => ttRound({ cores: [a] }, { eps: 0.1 })).toThrowError(TnzipError);
      return a;
    });
  });
});
