import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { fromTf, type Matrix64, matrixToTf, type Tensor64, toTf } from './float64.js';
import { multiModeProduct64 } from './mode-product.js';
import { leftSingular64 } from './svd.js';
import { resolveTuckerRanks, type Tucker64, type TuckerTensor } from './tucker-tensor.js';
import { unfold64 } from './unfold.js';
import { checkFinite, checkMinOrder, checkShape, checkTensor } from './validate.js';

/** Options of {@link hosvd} / {@link hosvd64}. */
export interface HosvdOptions {
  /** Axes to factorize (distinct), one per entry of `ranks`. Default: every axis. */
  modes?: readonly number[];
}

/**
 * Truncated higher-order SVD (De Lathauwer, De Moor, Vandewalle 2000), partial over `modes`:
 *
 * - factor i = the leading `ranks[i]` left singular vectors of the unfolding `x_(modes[i])`;
 * - core = `x ×_{modes[i]} factors[i]ᵀ`, applied most-shrinking mode first (cheapest order).
 *
 * Quasi-optimal: `‖x − x̂‖² ≤ Σ_n Σ_{i > r_n} σ_{n,i}²` (σ_{n,i} the singular values of `x_(n)`),
 * hence within √N of the best rank-(r_1…r_N) approximation.
 *
 * A mode whose rank equals its size gets the identity factor without an SVD: any orthogonal
 * factor gives the same reconstruction there, and the identity costs nothing. When the unfolding
 * has fewer than `ranks[i]` nonzero singular values, the extra columns complete the basis
 * orthonormally (as TensorLy's full-matrices SVD does).
 *
 * Throws TnzipError: INVALID_RANK (a rank not an integer in `[1, shape[mode]]`, naming
 * `ranks[i]`), INVALID_MODE (bad or repeated mode), SHAPE_MISMATCH (`ranks`/`modes` length
 * mismatch), NON_FINITE (NaN/Infinity in x).
 *
 * @param x tensor of order N >= 1
 * @param ranks one rank per factorized mode
 * @returns core of shape `shape` with `shape[modes[i]] = ranks[i]`; factors `[shape[modes[i]], ranks[i]]`
 */
export function hosvd64(x: Tensor64, ranks: readonly number[], options: HosvdOptions = {}): Tucker64 {
  const modes = checkTuckerInput64(x, ranks, options.modes);
  const factors = modes.map((m, i) => {
    const r = ranks[i] as number;
    return r === x.shape[m] ? identity64(r) : leadingLeft64(unfold64(x, m), r);
  });
  return { core: projectCore64(x, factors, modes), factors, modes };
}

/**
 * {@link hosvd64} on a float32 tfjs tensor: computed in float64, returned as new float32
 * tensors that the caller owns (dispose `core` and each factor).
 *
 * Reads `x` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await x.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link hosvd64}.
 */
export function hosvd(x: tf.Tensor, ranks: readonly number[], options: HosvdOptions = {}): TuckerTensor {
  checkTensor(x, 'x');
  checkMinOrder(x.shape, 1, 'x');
  resolveTuckerRanks(x.shape, ranks, options.modes);
  return tuckerToTf(hosvd64(fromTf(x, 'x'), ranks, options));
}

/** Converts a float64 Tucker tensor to new tfjs tensors. */
export function tuckerToTf(t: Tucker64): TuckerTensor {
  return { core: toTf(t.core), factors: t.factors.map(matrixToTf), modes: [...t.modes] };
}

/** Validates x (order, shape, finiteness) and (ranks, modes); returns the resolved modes. */
export function checkTuckerInput64(x: Tensor64, ranks: readonly number[], modes?: readonly number[]): number[] {
  checkMinOrder(x.shape, 1, 'x');
  checkShape(x.shape, 'x');
  if (x.data.length !== x.shape.reduce((a, b) => a * b, 1)) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `x.data has ${x.data.length} elements, shape [${x.shape.join(', ')}] needs more or fewer`,
    );
  }
  const ms = resolveTuckerRanks(x.shape, ranks, modes);
  checkFinite(x.data, 'x');
  return ms;
}

/** `x ×_{modes[i]} factors[i]ᵀ`, skipping identity factors (square ones from `identity64`). */
export function projectCore64(x: Tensor64, factors: readonly Matrix64[], modes: readonly number[]): Tensor64 {
  const keep = factors.map((f, i) => (f.rows === f.cols ? -1 : i)).filter((i) => i >= 0);
  return multiModeProduct64(
    x,
    keep.map((i) => factors[i] as Matrix64),
    keep.map((i) => modes[i] as number),
    { transpose: true },
  );
}

/** The n×n identity. */
export function identity64(n: number): Matrix64 {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
}

/**
 * The leading `rank` left singular vectors of `a` (`rank <= a.rows`), orthonormal even where
 * the singular values vanish: columns beyond `min(rows, cols)` or with σ ≤ 1e-13·σ_1 are
 * (re)built by Gram–Schmidt on the standard basis, which spans the same discarded energy (none).
 *
 * @returns `[a.rows, rank]`
 */
export function leadingLeft64(a: Matrix64, rank: number): Matrix64 {
  const k = Math.min(rank, a.cols);
  const { u, s } = leftSingular64(a, k);
  const s0 = s[0] ?? 0;
  let good = 0;
  while (good < k && (s[good] as number) > 1e-13 * s0) good++;
  if (good === rank) return u;
  const rows = a.rows;
  const out = new Float64Array(rows * rank);
  for (let i = 0; i < rows; i++) for (let j = 0; j < good; j++) out[i * rank + j] = u.data[i * u.cols + j] as number;
  const v = new Float64Array(rows);
  let filled = good;
  for (let e = 0; e < rows && filled < rank; e++) {
    v.fill(0);
    v[e] = 1;
    // Two passes of classical Gram–Schmidt ("twice is enough") keep the columns orthonormal.
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < filled; j++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += (out[i * rank + j] as number) * (v[i] as number);
        for (let i = 0; i < rows; i++) v[i] = (v[i] as number) - dot * (out[i * rank + j] as number);
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += (v[i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-6) continue;
    for (let i = 0; i < rows; i++) out[i * rank + filled] = (v[i] as number) / norm;
    filled++;
  }
  return { rows, cols: rank, data: out };
}
