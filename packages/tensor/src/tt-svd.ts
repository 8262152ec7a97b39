import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { fromTf, sizeOf, toTf } from './float64.js';
import { matmul64 } from './matmul64.js';
import { leftSingular64, svd64 } from './svd.js';
import type { TT64, TTTensor } from './tt-tensor.js';
import { checkInternalRanks, ttRankBounds } from './tt-tensor.js';
import { checkFinite, checkMinOrder, checkRank, checkShape } from './validate.js';

/**
 * How TT-SVD (and TT rounding) chooses the ranks:
 * - `{ ranks }`: the d−1 internal ranks, fixed; `ranks[k]` an integer in `[1, ttRankBounds(dims)[k]]`.
 * - `{ eps, maxRank? }`: accuracy `eps` in (0, 1): ‖x − tt‖_F ≤ eps·‖x‖_F (Oseledets 2011,
 *   Thm 2.2); `maxRank` caps every rank, which voids the guarantee where the cap binds.
 * - `{ maxRank }`: every rank is `min(maxRank, bound)` (best truncation per unfolding).
 */
export type TTSvdOptions = { ranks: readonly number[] } | { eps: number; maxRank?: number } | { maxRank: number };

/** The rank rule resolved and validated; internal. */
export type TTRankRule =
  | { kind: 'ranks'; ranks: readonly number[] }
  | { kind: 'eps'; eps: number; maxRank: number }
  | { kind: 'max'; maxRank: number };

/** Validates {@link TTSvdOptions} against the mode sizes `dims`. Internal to the package. */
export function resolveTTRankRule(opts: TTSvdOptions, dims: readonly number[], name = 'opts'): TTRankRule {
  if (opts === null || typeof opts !== 'object') {
    throw new TnzipError('INVALID_ARGUMENT', `${name} must be { ranks } or { eps, maxRank? } or { maxRank }`);
  }
  const o = opts as { ranks?: readonly number[]; eps?: number; maxRank?: number };
  const has = (k: string): boolean => k in o && (o as Record<string, unknown>)[k] !== undefined;
  if (has('ranks')) {
    if (has('eps') || has('maxRank')) {
      throw new TnzipError('INVALID_ARGUMENT', `${name}: give either ranks or eps/maxRank, not both`);
    }
    const ranks = o.ranks as readonly number[];
    checkInternalRanks(ranks, ttRankBounds(dims), `${name}.ranks`);
    return { kind: 'ranks', ranks: [...ranks] };
  }
  let maxRank = Number.POSITIVE_INFINITY;
  if (has('maxRank')) {
    checkRank(o.maxRank as number, Number.MAX_SAFE_INTEGER, `${name}.maxRank`);
    maxRank = o.maxRank as number;
  }
  if (has('eps')) {
    const eps = o.eps as number;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0 || eps >= 1) {
      throw new TnzipError('INVALID_ARGUMENT', `${name}.eps must be a number in (0, 1), got ${String(eps)}`);
    }
    return { kind: 'eps', eps, maxRank };
  }
  if (has('maxRank')) return { kind: 'max', maxRank };
  throw new TnzipError('INVALID_ARGUMENT', `${name} must contain ranks, eps or maxRank`);
}

/**
 * The smallest rank `r ≥ 1` whose truncation error `sqrt(Σ_{i≥r} s_i²)` is ≤ `delta`, for
 * (nearly) descending values `s` — the discarded tail always satisfies the bound, even where the
 * values are not exactly sorted. Summed from the smallest value up, so that the tail is not lost
 * to cancellation.
 */
export function truncationRank(s: Float64Array, delta: number): number {
  const d2 = delta * delta;
  let tail = 0;
  let r = s.length;
  while (r > 1) {
    const v = s[r - 1] as number;
    if (tail + v * v > d2) break;
    tail += v * v;
    r--;
  }
  return Math.max(r, 1);
}

/** The first `r` columns of a row-major matrix, zero-padded when `r > a.cols`. */
export function takeColumns(a: Matrix64, r: number): Matrix64 {
  if (r === a.cols) return a;
  const out = new Float64Array(a.rows * r);
  const c = Math.min(r, a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < c; j++) out[i * r + j] = a.data[i * a.cols + j] as number;
  }
  return { rows: a.rows, cols: r, data: out };
}

function frobenius(data: Float64Array): number {
  // Scaled sum of squares: immune to overflow for huge entries.
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i] as number);
    if (v === 0) continue;
    if (scale < v) {
      ssq = 1 + ssq * (scale / v) * (scale / v);
      scale = v;
    } else {
      ssq += (v / scale) * (v / scale);
    }
  }
  return scale * Math.sqrt(ssq);
}

/** Frobenius norm of float64 data; internal. */
export const frobenius64 = frobenius;

function rowNorms(a: Matrix64): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) out[i] = frobenius(a.data.subarray(i * a.cols, (i + 1) * a.cols));
  return out;
}

/**
 * One truncation step shared by TT-SVD and TT rounding: splits `c` (`[rows, cols]`) into
 * `u` (`[rows, r]`, orthonormal columns) and `rest = uᵀ·c` (`[r, cols]`) under the rank rule for
 * bond `k`. A fixed rank above `min(rows, cols)` is honoured by zero columns of `u` / zero rows
 * of `rest` (exact, only possible for rank lists with `r_k > r_{k-1}·n_k`) when `pad` is set,
 * and clamped otherwise.
 */
export function truncateStep(
  c: Matrix64,
  rule: TTRankRule,
  k: number,
  delta: number,
  pad: boolean,
): { u: Matrix64; rest: Matrix64 } {
  const full = Math.min(c.rows, c.cols);
  let want: number;
  let compute: number;
  if (rule.kind === 'ranks') {
    want = rule.ranks[k] as number;
    if (!pad) want = Math.min(want, full);
    compute = Math.min(want, full);
  } else if (rule.kind === 'max') {
    want = Math.min(rule.maxRank, full);
    compute = want;
  } else {
    want = -1;
    compute = full;
  }
  let u: Matrix64;
  let s: Float64Array;
  // In eps mode the wide branch asks for every left vector: U is square, so UᵀC loses nothing.
  let v: Matrix64 | null = null;
  if (c.rows <= c.cols) {
    // Wide unfolding (the usual case): only U is needed, the remainder is Uᵀ·C.
    const ls = leftSingular64(c, compute);
    u = ls.u;
    s = ls.s;
  } else {
    const sv = svd64(c, { rank: compute });
    u = sv.u;
    s = sv.s;
    v = sv.v;
  }
  let full64: Matrix64 | null = null;
  if (rule.kind === 'eps') {
    if (v === null) {
      // With a square orthonormal U, ‖C − U_r U_rᵀ C‖² is exactly the sum of the discarded
      // squared row norms of UᵀC: choosing the rank from those (not from s) makes the bound hold
      // whatever the accuracy of the small singular values.
      full64 = matmul64(u, c, true);
      s = rowNorms(full64);
    }
    want = Math.min(truncationRank(s, delta), rule.maxRank);
  }
  const keep = Math.min(want, compute);
  const uk = takeColumns(u, keep);
  let rest: Matrix64;
  if (full64 !== null) {
    rest = { rows: keep, cols: c.cols, data: full64.data.slice(0, keep * c.cols) };
  } else if (v === null) {
    rest = matmul64(uk, c, true);
  } else {
    // rest = diag(s_keep) · V_keepᵀ, formed directly.
    const data = new Float64Array(keep * c.cols);
    for (let i = 0; i < c.cols; i++) {
      for (let j = 0; j < keep; j++) data[j * c.cols + i] = (s[j] as number) * (v.data[i * v.cols + j] as number);
    }
    rest = { rows: keep, cols: c.cols, data };
  }
  if (want > keep) {
    const padded = new Float64Array(want * c.cols);
    padded.set(rest.data);
    return { u: takeColumns(uk, want), rest: { rows: want, cols: c.cols, data: padded } };
  }
  return { u: uk, rest };
}

/**
 * TT-SVD in float64 (Oseledets 2011, Alg. 1), left to right. For k = 1..d−1 the remainder is
 * unfolded to `[r_{k-1}·n_k, Π_{i>k} n_i]`, its leading left singular vectors become core k
 * (reshaped to `[r_{k-1}, n_k, r_k]`, left-orthonormal) and `Uᵀ·C` is carried on; the last
 * remainder is core d. With `eps`, every bond may discard `δ = eps/√(d−1)·‖x‖_F`, so
 * ‖x − tt‖_F ≤ eps·‖x‖_F. A tensor of order 1 gives a single core `[1, n, 1]`.
 *
 * Fixed `ranks` are honoured exactly (cores have exactly those shapes): where a rank list asks
 * for `r_k > r_{k-1}·n_k` (allowed by the bounds but not reachable), the surplus slices are zero.
 *
 * @param x a finite tensor of order ≥ 1
 */
export function ttSvd64(x: Tensor64, opts: TTSvdOptions): TT64 {
  if (x === null || typeof x !== 'object' || !Array.isArray(x.shape) || !(x.data instanceof Float64Array)) {
    throw new TnzipError('INVALID_ARGUMENT', 'x must be a Tensor64 { shape, data: Float64Array }');
  }
  checkMinOrder(x.shape, 1, 'x');
  checkShape(x.shape, 'x');
  const dims = [...x.shape];
  if (x.data.length !== sizeOf(dims)) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `x.data has ${x.data.length} elements but shape [${dims.join(', ')}] needs ${sizeOf(dims)}`,
    );
  }
  checkFinite(x.data, 'x');
  const rule = resolveTTRankRule(opts, dims);
  const d = dims.length;
  if (d === 1) return { cores: [{ shape: [1, dims[0] as number, 1], data: Float64Array.from(x.data) }] };
  const delta = rule.kind === 'eps' ? (rule.eps / Math.sqrt(d - 1)) * frobenius(x.data) : 0;
  const cores: Tensor64[] = [];
  let rPrev = 1;
  let data = x.data;
  let rest = sizeOf(dims);
  for (let k = 0; k < d - 1; k++) {
    const n = dims[k] as number;
    rest /= n;
    const c: Matrix64 = { rows: rPrev * n, cols: rest, data };
    const step = truncateStep(c, rule, k, delta, true);
    cores.push({
      shape: [rPrev, n, step.u.cols],
      data: step.u.data === x.data ? Float64Array.from(step.u.data) : step.u.data,
    });
    rPrev = step.u.cols;
    data = step.rest.data;
  }
  cores.push({ shape: [rPrev, dims[d - 1] as number, 1], data: data === x.data ? Float64Array.from(data) : data });
  return { cores };
}

/**
 * TT-SVD of a float32 tfjs tensor, computed in float64 ({@link ttSvd64}). Returns new core
 * tensors `[r_{k-1}, n_k, r_k]` the caller owns. Rejects NaN/Infinity (NON_FINITE), ranks outside
 * `[1, ttRankBounds(shape)[k]]` (INVALID_RANK), eps outside (0, 1) (INVALID_ARGUMENT).
 *
 * Reads `x` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await x.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link ttSvd64}.
 */
export function ttSvd(x: tf.Tensor, opts: TTSvdOptions): TTTensor {
  const x64 = fromTf(x, 'x');
  const tt = ttSvd64(x64, opts);
  return { cores: tt.cores.map((c) => toTf<tf.Rank.R3>(c)) };
}
