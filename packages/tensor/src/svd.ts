import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { asMatrix, fromTf, type Matrix64, matrixToTf } from './float64.js';
import { orthonormalizeRows } from './internal/orthonormal-rows.js';
import { symEig } from './internal/sym-eig.js';
import { gemmAccumulate, gram64, transpose64 } from './matmul64.js';
import { checkFinite, checkRank } from './validate.js';

/** Thin SVD of a float64 matrix: `a ≈ u · diag(s) · vᵀ`. */
export interface Svd64 {
  /** Left singular vectors, `[rows, k]`, orthonormal columns. */
  readonly u: Matrix64;
  /** Singular values, length k, descending, >= 0. */
  readonly s: Float64Array;
  /** Right singular vectors, `[cols, k]`, orthonormal columns. */
  readonly v: Matrix64;
}

/** Options of {@link svd} / {@link svd64}. */
export interface SvdOptions {
  /** Keep only the leading `rank` triplets, an integer in [1, min(rows, cols)]. Default: all. */
  rank?: number;
}

const EPS = 2 ** -52;
/**
 * Pairs of Gram-derived vectors whose singular values satisfy σ_i·σ_j ≥ ILL² σ₁² are orthogonal
 * to ≈ n·eps·σ₁²/(σ_iσ_j) ≤ 1e-12 already; only pairs involving a smaller σ get Jacobi sweeps.
 */
const ILL = 0.1;
const JACOBI_TOL = 1e-15;
const JACOBI_MAX_SWEEPS = 40;

/*
 * Algorithm (chosen by measurement, see README): let X be the matrix oriented with its SHORT
 * side first (p = min(m, n) rows, L = max(m, n) columns; X = a or aᵀ).
 *  1. G = X·Xᵀ (p x p, half a GEMM) and its eigen-decomposition G = S Λ Sᵀ (Householder +
 *     implicit QL). S holds the short-side singular vectors, orthonormal to machine precision.
 *  2. B = Sᵀ·X (p x L): row j is σ_j times the long-side singular vector j. σ_j = ‖B_j‖ — which is
 *     accurate to eps·σ₁ absolutely, unlike sqrt(λ_j), which is not for small σ_j.
 *  3. The rows of B inherit an orthogonality defect ≈ eps·σ₁²/(σ_iσ_j) from the Gram matrix. For
 *     pairs where that can exceed ~1e-12 a one-sided (Hestenes) Jacobi pass rotates the rows of B
 *     and S together until they are orthogonal to 1e-15 relative; well-conditioned matrices
 *     (every σ ≥ 0.1·σ₁, e.g. Gaussian 512x4608) skip it entirely.
 *  4. σ below max(m,n)·eps·σ₁ is set to 0 and its long-side vector replaced by an orthonormal
 *     completion, so rank-deficient and zero inputs still give orthonormal U and V.
 * Sign rule: each left singular vector u_j is flipped so that its largest-magnitude entry (the
 * first one on ties) is positive; v_j flips with it.
 */

interface Core {
  /** Short-side vectors, [p, p] row-major, row j = vector j. */
  short: Float64Array;
  /** Long-side vectors, [p, L] row-major, row j = vector j (unit, or completion for σ = 0). */
  long: Float64Array;
  s: Float64Array;
  p: number;
  L: number;
  /** True when the short side is the rows of a (so `short` holds U). */
  wide: boolean;
}

function validate(a: Matrix64, name: string): void {
  if (!Number.isInteger(a.rows) || !Number.isInteger(a.cols) || a.rows < 1 || a.cols < 1) {
    throw new TnzipError('SHAPE_MISMATCH', `${name} must be a non-empty matrix, got ${a.rows}x${a.cols}`);
  }
  if (a.data.length !== a.rows * a.cols) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${name}.data has ${a.data.length} elements but a ${a.rows}x${a.cols} matrix needs ${a.rows * a.cols}`,
    );
  }
  checkFinite(a.data, name);
}

/** X (short side first), scaled by a power of two when |a| is near the overflow/underflow range. */
function orient(a: Matrix64): { x: Float64Array; p: number; L: number; wide: boolean; scale: number } {
  const wide = a.rows <= a.cols;
  let maxAbs = 0;
  for (let i = 0; i < a.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a.data[i] as number));
  const scale = maxAbs > 2 ** 400 || (maxAbs > 0 && maxAbs < 2 ** -400) ? 2 ** -Math.round(Math.log2(maxAbs)) : 1;
  let x = wide ? a.data : transpose64(a).data;
  if (scale !== 1) x = x.map((v) => v * scale);
  return { x, p: Math.min(a.rows, a.cols), L: Math.max(a.rows, a.cols), wide, scale };
}

function rowNorm(b: Float64Array, r: number, len: number): number {
  let s = 0;
  for (let t = r * len, end = t + len; t < end; t++) s += (b[t] as number) ** 2;
  return Math.sqrt(s);
}

/** One-sided Jacobi on the rows of b (p x L), rotating the rows of sh (p x p) alongside. */
function jacobiRefine(
  b: Float64Array,
  sh: Float64Array,
  sig: Float64Array,
  p: number,
  L: number,
  zeroTol: number,
): void {
  const s1 = sig[0] as number;
  const ill: boolean[] = [];
  let anyIll = false;
  for (let i = 0; i < p; i++) {
    const v = sig[i] as number;
    ill.push(v < ILL * s1 && v > zeroTol);
    anyIll ||= ill[i] === true;
  }
  if (!anyIll) return;
  for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let i = 0; i < p; i++) {
      if ((sig[i] as number) <= zeroTol) continue;
      for (let j = i + 1; j < p; j++) {
        if (!(ill[i] || ill[j]) || (sig[j] as number) <= zeroTol) continue;
        const ri = i * L;
        const rj = j * L;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let t = 0; t < L; t++) {
          const x = b[ri + t] as number;
          const y = b[rj + t] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= JACOBI_TOL * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t0 = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t0 * t0);
        const s = c * t0;
        for (let t = 0; t < L; t++) {
          const x = b[ri + t] as number;
          const y = b[rj + t] as number;
          b[ri + t] = c * x - s * y;
          b[rj + t] = s * x + c * y;
        }
        const si = i * p;
        const sj = j * p;
        for (let t = 0; t < p; t++) {
          const x = sh[si + t] as number;
          const y = sh[sj + t] as number;
          sh[si + t] = c * x - s * y;
          sh[sj + t] = s * x + c * y;
        }
        sig[i] = Math.sqrt(Math.max(0, alpha - t0 * gamma));
        sig[j] = Math.sqrt(Math.max(0, beta + t0 * gamma));
      }
    }
    if (!rotated) break;
  }
  for (let i = 0; i < p; i++) sig[i] = rowNorm(b, i, L);
}

function svdCore(a: Matrix64): Core {
  const { x, p, L, wide, scale } = orient(a);
  const g = gram64({ rows: p, cols: L, data: x });
  const eig = symEig(g.data, p);
  const sh = eig.vectors;
  const b = new Float64Array(p * L);
  gemmAccumulate(sh, x, b, p, p, L);
  const sig = new Float64Array(p);
  let s1 = 0;
  for (let i = 0; i < p; i++) {
    sig[i] = rowNorm(b, i, L);
    s1 = Math.max(s1, sig[i] as number);
  }
  const zeroTol = Math.max(a.rows, a.cols) * EPS * s1;
  if (s1 > 0) {
    // Jacobi reads σ₁ from sig[0]; the eigen order is by λ, which can differ from ‖B_j‖ order
    // only among tiny values, so sig[0] is the largest up to rounding.
    jacobiRefine(b, sh, sig, p, L, zeroTol);
  }
  // Sort by σ descending (stable), normalise, and complete the null directions.
  const order = Array.from({ length: p }, (_, i) => i).sort((i, j) => (sig[j] as number) - (sig[i] as number) || i - j);
  const long = new Float64Array(p * L);
  const short = new Float64Array(p * p);
  const s = new Float64Array(p);
  let firstZero = p;
  for (let r = 0; r < p; r++) {
    const src = order[r] as number;
    let sv = sig[src] as number;
    short.set(sh.subarray(src * p, src * p + p), r * p);
    if (sv <= zeroTol || sv === 0) {
      sv = 0;
      firstZero = Math.min(firstZero, r);
    } else {
      const inv = 1 / sv;
      for (let t = 0; t < L; t++) long[r * L + t] = (b[src * L + t] as number) * inv;
    }
    s[r] = sv / scale;
  }
  if (firstZero < p) orthonormalizeRows(long, p, L, firstZero);
  return { short, long, s, p, L, wide };
}

/** Copies rows 0..k-1 of a [*, len] row block into a [len, k] row-major matrix (columns = rows), flipped by sign. */
function toColumns(src: Float64Array, len: number, k: number, sign: Float64Array): Float64Array {
  const out = new Float64Array(len * k);
  for (let j = 0; j < k; j++) {
    const sg = sign[j] as number;
    const row = j * len;
    for (let i = 0; i < len; i++) out[i * k + j] = sg * (src[row + i] as number);
  }
  return out;
}

/** +1 or −1 per vector so that each vector's largest-magnitude entry (first on ties) is positive. */
function signs(rowsBlock: Float64Array, len: number, k: number): Float64Array {
  const sign = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let best = 0;
    let bestAbs = -1;
    for (let i = 0; i < len; i++) {
      const v = Math.abs(rowsBlock[j * len + i] as number);
      if (v > bestAbs) {
        bestAbs = v;
        best = i;
      }
    }
    sign[j] = (rowsBlock[j * len + best] as number) < 0 ? -1 : 1;
  }
  return sign;
}

/**
 * Thin SVD in float64: `a = u · diag(s) · vᵀ` with orthonormal columns in u and v.
 *
 * Singular values are descending; zero ones (rank-deficient or zero input) still come with
 * orthonormal completion vectors. Signs are deterministic: the largest-magnitude entry of each
 * column of u is positive. The same input gives bit-identical output. Reconstruction error is
 * ≈ 1e-15·‖a‖ (backward stable up to a small multiple of n·eps).
 *
 * @param a `[m, n]`, finite, non-empty
 * @param options.rank keep the leading `rank` triplets, integer in [1, min(m, n)]
 * @returns `u` `[m, k]`, `s` length k, `v` `[n, k]` with k = rank (default min(m, n))
 * @throws TnzipError SHAPE_MISMATCH (empty or malformed), NON_FINITE, INVALID_RANK
 */
export function svd64(a: Matrix64, options: SvdOptions = {}): Svd64 {
  validate(a, 'a');
  const kFull = Math.min(a.rows, a.cols);
  const k = options.rank ?? kFull;
  checkRank(k, kFull, 'options.rank');
  const c = svdCore(a);
  const uBlock = c.wide ? c.short : c.long;
  const vBlock = c.wide ? c.long : c.short;
  const sign = signs(uBlock, a.rows, k);
  return {
    u: { rows: a.rows, cols: k, data: toColumns(uBlock, a.rows, k, sign) },
    s: c.s.slice(0, k),
    v: { rows: a.cols, cols: k, data: toColumns(vBlock, a.cols, k, sign) },
  };
}

/**
 * Thin SVD of a float32 tfjs matrix, computed in float64 ({@link svd64}); results are rounded
 * to float32. Returns new tensors the caller owns; creates no other tensors.
 *
 * @param m `[rows, cols]` float32, finite, non-empty
 * @returns `u` `[rows, k]`, `s` `[k]`, `v` `[cols, k]`
 * @throws TnzipError SHAPE_MISMATCH, NON_FINITE, INVALID_RANK, INVALID_ARGUMENT (not a float32 tensor)
 *
 * Reads `m` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await m.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link svd64}.
 */
export function svd(m: tf.Tensor2D, options: SvdOptions = {}): { u: tf.Tensor2D; s: tf.Tensor1D; v: tf.Tensor2D } {
  const t = fromTf(m, 'm');
  if (t.shape.length !== 2 || (t.shape[0] as number) < 1 || (t.shape[1] as number) < 1) {
    throw new TnzipError('SHAPE_MISMATCH', `m must be a non-empty matrix, got shape [${t.shape.join(', ')}]`);
  }
  const r = svd64(asMatrix(t, 'm'), options);
  return { u: matrixToTf(r.u), s: tf.tensor1d(Float32Array.from(r.s)), v: matrixToTf(r.v) };
}

/**
 * The leading `rank` left singular vectors and values of `a` — all that HOSVD and TT-SVD need.
 * For a wide or square `a` (rows ≤ cols) this is the eigen-decomposition of the Gram matrix
 * a·aᵀ alone, without forming v (about half the work of {@link svd64}); σ_j = sqrt(max(λ_j, 0))
 * is then accurate to ≈ eps·σ₁²/σ_j absolutely, which is ample for truncation decisions. A
 * tall `a` goes through {@link svd64}. Same sign rule as svd64.
 *
 * @returns `u`: `[rows, rank]` orthonormal columns; `s`: length `rank`, descending
 * @throws TnzipError SHAPE_MISMATCH, NON_FINITE, INVALID_RANK
 */
export function leftSingular64(a: Matrix64, rank: number): { u: Matrix64; s: Float64Array } {
  validate(a, 'a');
  checkRank(rank, Math.min(a.rows, a.cols), 'rank');
  if (a.rows > a.cols) {
    const r = svd64(a, { rank });
    return { u: r.u, s: r.s };
  }
  const { x, p, L, scale } = orient(a);
  const eig = symEig(gram64({ rows: p, cols: L, data: x }).data, p);
  const s = new Float64Array(rank);
  for (let j = 0; j < rank; j++) s[j] = Math.sqrt(Math.max(0, eig.values[j] as number)) / scale;
  const sign = signs(eig.vectors, p, rank);
  return { u: { rows: p, cols: rank, data: toColumns(eig.vectors, p, rank, sign) }, s };
}
