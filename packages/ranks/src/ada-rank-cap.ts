import { matrix64, Rng, sizeOf, svd64, tensor64, tuckerToTensor64 } from '@tnzip/tensor';

/** Upper bound on the rank of an ADA-Tucker layer's `[inputs × outputs]` weight matrix. */
export interface MatrixRankCap {
  /** The bound: no choice of core and factors gives the matrix a higher rank. */
  readonly cap: number;
  /**
   * True when the bound comes from the Tucker structure (the input/output split falls on or
   * inside one mode); false when it is only `min(rows, cols)` (dims that do not split there).
   */
  readonly structural: boolean;
  /** The terms of the bound (for the rank floor: how far each is from a target). */
  readonly terms: readonly number[];
}

const prod = (a: readonly number[]): number => a.reduce((p, v) => p * v, 1);

/**
 * {@link MatrixRankCap} of an ADA/SCADA-Tucker layer whose weight, flattened row-major with the
 * outputs last (`[k_h, k_w, S, T]` or `[S, T]`), is the first `rows·cols` entries of the Tucker
 * tensor `[m_1, …, m_d]` with core ranks `r`, seen as the matrix `[rows = n/T, cols = T]`.
 *
 * With suffix products `P_j = Π_{i>j} m_i`: when `P_j = cols` (the split falls between modes
 * j and j+1), rank ≤ `min(Π_{i≤j} r_i, Π_{i>j} r_i)`; when `P_j | cols | P_{j-1}` (mode j is
 * split into `u = m_j·P_j/cols` row values × `v = cols/P_j` column values), rank ≤
 * `min(Π_{i<j} r_i · u, v · Π_{i>j} r_i)`. Always ≤ `min(rows, cols)`. Padding in the leading
 * modes only adds rows, so the bound holds for the cropped matrix too.
 */
export function adaMatrixRankCap(
  dims: readonly number[],
  ranks: readonly number[],
  rows: number,
  cols: number,
): MatrixRankCap {
  const base = [rows, cols];
  let suffix = 1;
  for (let j = dims.length - 1; j >= 0; j--) {
    // Invariant: suffix = Π_{i>j} m_i.
    const m = dims[j] as number;
    if (suffix === cols) {
      const terms = [prod(ranks.slice(0, j + 1)), prod(ranks.slice(j + 1))];
      return { cap: Math.min(...base, ...terms), structural: true, terms };
    }
    if (cols % suffix === 0 && (m * suffix) % cols === 0 && m * suffix !== cols) {
      const v = cols / suffix;
      const u = m / v;
      const terms = [prod(ranks.slice(0, j)) * u, v * prod(ranks.slice(j + 1))];
      return { cap: Math.min(...base, ...terms), structural: true, terms };
    }
    suffix *= m;
  }
  return { cap: Math.min(rows, cols), structural: false, terms: [] };
}

/** Largest `rows·cols` for which {@link genericMatrixRank} is used (a classifier, a small layer). */
export const GENERIC_RANK_MAX_ENTRIES = 100_000;

/**
 * The rank of the `[rows × cols]` matrix of a Tucker tensor with `dims`, `ranks` and seeded
 * Gaussian core and factors: a generic point, so (with probability 1) the highest rank any core
 * and factors give — the exact implied maximum when the dims do not split between inputs and
 * outputs and {@link adaMatrixRankCap} only knows `min(rows, cols)`. Numerical rank: singular
 * values above `1e-9·σ_max`. Cost: one Tucker rebuild and one SVD of the matrix.
 */
export function genericMatrixRank(
  dims: readonly number[],
  ranks: readonly number[],
  rows: number,
  cols: number,
  seed = 0,
): number {
  const rng = new Rng(seed);
  const core = tensor64(rng.normals(sizeOf(ranks)), ranks);
  const factors = dims.map((m, i) => matrix64(rng.normals(m * (ranks[i] as number)), m, ranks[i] as number));
  const full = tuckerToTensor64({ core, factors, modes: dims.map((_, i) => i) });
  const s = svd64(matrix64(full.data.slice(0, rows * cols), rows, cols)).s;
  const top = s[0] ?? 0;
  let k = 0;
  for (const v of s) if (v > 1e-9 * top) k++;
  return k;
}

/**
 * {@link adaMatrixRankCap}, made exact by {@link genericMatrixRank} when the structure gives no
 * bound and the matrix is small enough (`structural` stays false, `measured` true).
 */
export function adaMatrixRankCapMeasured(
  dims: readonly number[],
  ranks: readonly number[],
  rows: number,
  cols: number,
): MatrixRankCap & { readonly measured: boolean } {
  const c = adaMatrixRankCap(dims, ranks, rows, cols);
  if (c.structural || rows * cols > GENERIC_RANK_MAX_ENTRIES) return { ...c, measured: false };
  return { ...c, cap: genericMatrixRank(dims, ranks, rows, cols), measured: true };
}
