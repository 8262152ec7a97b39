import { describe, expect, it } from 'vitest';
import type { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { hosvd64 } from './hosvd.js';
import { matmul64 } from './matmul64.js';
import { relativeError64 } from './norms.js';
import { Rng } from './random.js';
import { sharedTucker64 } from './shared-tucker.js';
import { svd64 } from './svd.js';
import { tuckerToTensor64 } from './tucker-tensor.js';

function gaussian(shape: readonly number[], rng: Rng): Tensor64 {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape: [...shape], data: Float64Array.from({ length: n }, () => rng.normal()) };
}

/** A random `[m, r]` matrix with orthonormal columns. */
function orthonormal(m: number, r: number, rng: Rng): Matrix64 {
  return svd64({ rows: m, cols: r, data: gaussian([m, r], rng).data }).u;
}

const rebuild = (core: Tensor64, factors: Matrix64[], scale: number): Tensor64 => {
  const t = tuckerToTensor64({ core, factors, modes: factors.map((_, i) => i) });
  return { shape: t.shape, data: t.data.map((v) => v * scale) };
};

/** `scale · core ×_i U_i` of `shape`, with seeded random orthonormal factors `U_i` (`[shape[i], ranks[i]]`). */
const sharedCoreTensor = (core: Tensor64, shape: readonly number[], scale: number, rng: Rng): Tensor64 =>
  rebuild(
    core,
    shape.map((m, i) => orthonormal(m, core.shape[i] as number, rng)),
    scale,
  );

describe('sharedTucker64', () => {
  it('recovers tensors that share one core exactly, under different factors, dims and scales', () => {
    const rng = new Rng(7);
    const ranks = [3, 2, 4];
    const core = gaussian(ranks, rng);
    const shapes = [
      [5, 6, 7],
      [4, 3, 9],
      [6, 2, 4],
    ];
    const scales = [2, -0.5, 30];
    const xs = shapes.map((s, l) => sharedCoreTensor(core, s, scales[l] as number, rng));
    const fit = sharedTucker64(xs, ranks, { iterations: 100 });
    xs.forEach((x, l) => {
      const back = rebuild(fit.core, fit.factors[l] as Matrix64[], fit.scales[l] as number);
      // Exact data: ALS converges linearly; after 100 sweeps the error is ~1e-8 (1e-6 leaves room).
      expect(relativeError64(x, back)).toBeLessThan(1e-6);
      expect(fit.errors[l]).toBeLessThan(1e-6);
      for (const f of fit.factors[l] as Matrix64[]) {
        const g = matmul64(f, f, true, false);
        for (const [k, v] of g.data.entries()) expect(v).toBeCloseTo(k % (g.cols + 1) === 0 ? 1 : 0, 10);
      }
    });
  });

  it("fits noisy layers better than one layer's HOSVD core with least-squares scales (the old SCADA init)", () => {
    const rng = new Rng(3);
    const ranks = [2, 3, 3];
    const shared = gaussian(ranks, rng);
    const xs = [
      [6, 5, 5],
      [8, 4, 6],
      [5, 7, 3],
    ].map((s) => {
      const clean = sharedCoreTensor(shared, s, 1, rng);
      const noise = gaussian(s, rng);
      return { shape: s, data: clean.data.map((v, k) => v + 0.05 * (noise.data[k] as number)) };
    });
    const fit = sharedTucker64(xs, ranks);
    // The old init: layer 0's HOSVD core shared, every layer its own HOSVD factors, s_l = ⟨C_l, C⟩/⟨C, C⟩.
    const decs = xs.map((x) => hosvd64(x, ranks));
    const c0 = (decs[0] as (typeof decs)[number]).core;
    const oldErrors = decs.map((d, l) => {
      let num = 0;
      let den = 0;
      d.core.data.forEach((v, k) => {
        num += v * (c0.data[k] as number);
        den += (c0.data[k] as number) ** 2;
      });
      return relativeError64(xs[l] as Tensor64, rebuild(c0, d.factors, num / den));
    });
    fit.errors.forEach((e, l) => {
      const back = rebuild(fit.core, fit.factors[l] as Matrix64[], fit.scales[l] as number);
      expect(relativeError64(xs[l] as Tensor64, back)).toBeCloseTo(e, 10);
      expect(e).toBeLessThan(0.2);
    });
    // The followers: the old init leaves them near their whole norm in error; the fit does not.
    expect(Math.max(...(oldErrors.slice(1) as number[]))).toBeGreaterThan(0.5);
  });

  it('names the bad argument', () => {
    const x = { shape: [2, 2], data: new Float64Array(4).fill(1) };
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as TnzipError).code;
      }
      return 'none';
    };
    expect(code(() => sharedTucker64([], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(code(() => sharedTucker64([x], [1]))).toBe('SHAPE_MISMATCH');
    expect(code(() => sharedTucker64([x], [3, 1]))).toBe('INVALID_RANK');
    expect(code(() => sharedTucker64([x], [1, 1], { iterations: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
