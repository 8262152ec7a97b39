import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { hosvd64 } from './hosvd.js';
import { matmul64 } from './matmul64.js';
import { multiModeProduct64 } from './mode-product.js';
import { frobeniusNorm64 } from './norms.js';
import { Rng } from './random.js';
import { svd64 } from './svd.js';
import { unfold64 } from './unfold.js';
import { checkInt } from './validate.js';

/** Options of {@link sharedTucker64}. */
export interface SharedTuckerOptions {
  /** Alternating sweeps over all tensors and the core (default 20). */
  readonly iterations?: number;
  /** Random starts of each tensor's first alignment with the core, besides the identity (default 8). */
  readonly restarts?: number;
  /** Seed of the random starts (default 0). */
  readonly seed?: number;
}

/** What {@link sharedTucker64} fitted: `xs[l] ≈ scales[l] · core ×_i factors[l][i]`. */
export interface SharedTucker64 {
  /** The shared core, shape `ranks`, unit Frobenius norm. */
  readonly core: Tensor64;
  /** Per tensor, one factor per mode, `[shape_l[i], ranks[i]]` with orthonormal columns. */
  readonly factors: Matrix64[][];
  /** Per tensor, the scalar in front of the shared core. */
  readonly scales: number[];
  /** Per tensor, the relative error `‖x_l − x̂_l‖ / ‖x_l‖` of the fit (0 for an all-zero tensor). */
  readonly errors: number[];
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** The orthonormal `[m, r]` matrix nearest `m` (polar factor `P·Qᵀ` of `m = P·Σ·Qᵀ`). */
function polar(m: Matrix64): Matrix64 {
  const { u, v } = svd64(m);
  return matmul64(u, v, false, true);
}

/** The factor of mode i that best aligns `x ×_{j≠i} U_jᵀ` with `core` (orthogonal Procrustes). */
function alignMode(x: Tensor64, factors: Matrix64[], core: Tensor64, i: number): Matrix64 {
  const others = factors.map((_, j) => j).filter((j) => j !== i);
  const y = multiModeProduct64(
    x,
    others.map((j) => factors[j] as Matrix64),
    others,
    { transpose: true },
  );
  return polar(matmul64(unfold64(y, i), unfold64(core, i), false, true));
}

/** `⟨x ×_i Q_iᵀ, core⟩`: how well rotations `qs` align core-sized `x` with `core`. */
function agreement(x: Tensor64, qs: readonly Matrix64[], core: Tensor64): number {
  const modes = qs.map((_, i) => i);
  return dot(multiModeProduct64(x, qs, modes, { transpose: true }).data, core.data);
}

/**
 * Orthogonal `Q_i` (`[r_i, r_i]`) maximizing `⟨g ×_i Q_iᵀ, core⟩` for a core-sized `g`: alternating
 * Procrustes from the identity and from `restarts` seeded random rotations (the problem has local
 * optima: independent HOSVDs leave cores in bases that differ by signs and rotations), best kept.
 */
function alignCores(g: Tensor64, core: Tensor64, restarts: number, rng: Rng): Matrix64[] {
  const ranks = core.shape;
  const identity = (r: number): Matrix64 => {
    const d = new Float64Array(r * r);
    for (let k = 0; k < r; k++) d[k * r + k] = 1;
    return { rows: r, cols: r, data: d };
  };
  const random = (r: number): Matrix64 =>
    polar({ rows: r, cols: r, data: Float64Array.from({ length: r * r }, () => rng.normal()) });
  let best: { qs: Matrix64[]; score: number } | null = null;
  for (let start = 0; start <= restarts; start++) {
    const qs = ranks.map((r) => (start === 0 ? identity(r) : random(r)));
    for (let sweep = 0; sweep < 30; sweep++) for (let i = 0; i < qs.length; i++) qs[i] = alignMode(g, qs, core, i);
    const score = agreement(g, qs, core);
    if (best === null || score > best.score) best = { qs, score };
  }
  return (best as { qs: Matrix64[] }).qs;
}

function checkInputs(xs: readonly Tensor64[], ranks: readonly number[]): void {
  if (xs.length === 0) throw new TnzipError('INVALID_ARGUMENT', 'sharedTucker64: xs must hold at least one tensor');
  xs.forEach((x, l) => {
    if (x.shape.length !== ranks.length)
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `sharedTucker64: xs[${l}] has order ${x.shape.length}, ranks has ${ranks.length} entries`,
      );
  });
}

/**
 * Tucker decompositions of several tensors of the same order that share one core (SCADA-Tucker's
 * model, Zhong et al. 2019): `xs[l] ≈ s_l · C ×_1 U_{l,1} ×_2 … ×_N U_{l,N}`, with `C` of shape
 * `ranks` shared by all, per-tensor orthonormal factors `U_{l,i}` (`[shape_l[i], ranks[i]]`) and
 * per-tensor scalars `s_l`. Each tensor is fitted at its relative scale (normalized to unit norm),
 * so a large layer does not dictate the core.
 *
 * Alternating least squares (ours): start from the HOSVD of each tensor and the first tensor's
 * HOSVD core, each other tensor's factors rotated so that its HOSVD core best matches that core
 * (alternating Procrustes on the small cores, from the identity and `restarts` seeded random
 * rotations); each sweep then aligns every factor with the core (orthogonal Procrustes: the polar
 * factor of `(x ×_{j≠i} U_jᵀ)_(i) · C_(i)ᵀ`), projects each tensor on its factors
 * `G_l = x_l ×_i U_{l,i}ᵀ`, and sets the core to the least-squares fit of the projections
 * `C = Σ α_l G_l / Σ α_l²` with `α_l = ⟨G_l, C⟩/⟨C, C⟩`. Independent HOSVDs leave the cores of
 * different tensors in unrelated bases (signs, rotations), so a core taken from one tensor and a
 * least-squares scale alone fit the others poorly; the alignment is what makes the core shared.
 *
 * @throws TnzipError INVALID_ARGUMENT (no tensor, iterations or restarts not an integer >= 0), SHAPE_MISMATCH
 *   (an order other than `ranks.length`), INVALID_RANK (a rank outside `[1, shape_l[i]]`, from the
 *   HOSVD), NON_FINITE
 */
export function sharedTucker64(
  xs: readonly Tensor64[],
  ranks: readonly number[],
  options: SharedTuckerOptions = {},
): SharedTucker64 {
  checkInputs(xs, ranks);
  const iterations = options.iterations ?? 20;
  checkInt(iterations, 'options.iterations', 0);
  const norms = xs.map((x) => frobeniusNorm64(x));
  const unit = xs.map((x, l) => ({
    shape: x.shape,
    data: x.data.map((v) => (norms[l] ? v / (norms[l] as number) : 0)),
  }));
  const restarts = options.restarts ?? 8;
  checkInt(restarts, 'options.restarts', 0);
  const rng = new Rng(options.seed ?? 0);
  const decs = unit.map((x) => hosvd64(x, ranks));
  let core = normalized((decs[0] as (typeof decs)[number]).core);
  const modes = ranks.map((_, i) => i);
  // Each tensor's factors rotated so that its HOSVD core best matches the first one's.
  const factors = decs.map((d, l) => {
    if (l === 0) return d.factors;
    const qs = alignCores(d.core, core, restarts, rng);
    return d.factors.map((u, i) => matmul64(u, qs[i] as Matrix64));
  });
  const project = (l: number): Tensor64 =>
    multiModeProduct64(unit[l] as Tensor64, factors[l] as Matrix64[], modes, { transpose: true });
  for (let it = 0; it < iterations; it++) {
    const projections = unit.map((x, l) => {
      for (const i of modes) (factors[l] as Matrix64[])[i] = alignMode(x, factors[l] as Matrix64[], core, i);
      return project(l);
    });
    const alphas = projections.map((g) => dot(g.data, core.data));
    const den = alphas.reduce((a, v) => a + v * v, 0);
    if (den === 0) break;
    const next = new Float64Array(core.data.length);
    projections.forEach((g, l) => {
      const a = alphas[l] as number;
      for (let k = 0; k < next.length; k++) next[k] = (next[k] as number) + (a * (g.data[k] as number)) / den;
    });
    core = normalized({ shape: core.shape, data: next });
  }
  const alphas = unit.map((_, l) => dot(project(l).data, core.data));
  return {
    core,
    factors,
    scales: alphas.map((a, l) => a * (norms[l] as number)),
    // ‖x − α C×U‖² = ‖x‖² − α² for unit x, unit C, orthonormal U and the optimal α = ⟨G, C⟩.
    errors: alphas.map((a, l) => (norms[l] ? Math.sqrt(Math.max(0, 1 - a * a)) : 0)),
  };
}

/** `t / ‖t‖` (t itself when all zero). */
function normalized(t: Tensor64): Tensor64 {
  const n = frobeniusNorm64(t);
  return n > 0
    ? { shape: [...t.shape], data: t.data.map((v) => v / n) }
    : { shape: [...t.shape], data: t.data.slice() };
}
