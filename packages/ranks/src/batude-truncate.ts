import {
  leftSingular64,
  type Matrix64,
  modeProduct64,
  type Tensor64,
  TnzipError,
  transpose64,
  unfold64,
} from '@tnzip/tensor';

/**
 * The spectral data BATUDE's Z-step needs of one split variable `A = W + U`: for each rank of the
 * layer's space, all singular values (descending) and the left singular vectors of the matching
 * unfolding. Tucker-2 (conv kernel `[k_h, k_w, S, T]`): mode S (`S × k_h·k_w·T`) then mode T
 * (`T × k_h·k_w·S`). Matrix (Linear weight `[S, T]`): one entry, of `W` on its short side.
 */
export interface BatudeSpectra {
  readonly kind: 'tucker2' | 'matrix';
  /** `[σ of rank 0, σ of rank 1, …]`, each of length `bound`. */
  readonly sigma: readonly Float64Array[];
  /** Matching left singular vectors, `[rows, bound]` each. */
  readonly vectors: readonly Matrix64[];
  /** ‖A‖_F (the normalizer of GreedyBudget's values). */
  readonly norm: number;
  /** Matrix format only: whether the vectors belong to Aᵀ (`[T, S]`, the short side). */
  readonly transposed: boolean;
}

function fro(data: Float64Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += (data[i] as number) ** 2;
  return Math.sqrt(s);
}

/**
 * Singular values and left vectors of the unfoldings of `a` (see {@link BatudeSpectra}).
 *
 * @param a a conv kernel `[k_h, k_w, S, T]` (order 4) or a Linear weight `[S, T]` (order 2)
 * @throws TnzipError SHAPE_MISMATCH for any other order
 */
export function batudeSpectra(a: Tensor64): BatudeSpectra {
  const norm = fro(a.data);
  if (a.shape.length === 4) {
    const sigma: Float64Array[] = [];
    const vectors: Matrix64[] = [];
    for (const mode of [2, 3]) {
      const m = unfold64(a, mode);
      const r = leftSingular64(m, Math.min(m.rows, m.cols));
      sigma.push(r.s);
      vectors.push(r.u);
    }
    return { kind: 'tucker2', sigma, vectors, norm, transposed: false };
  }
  if (a.shape.length === 2) {
    const [s, t] = a.shape as [number, number];
    const m: Matrix64 = { rows: s, cols: t, data: a.data };
    // Work on the short side: the Gram eigenproblem is min(S, T)² in size.
    const transposed = s > t;
    const short = transposed ? transpose64(m) : m;
    const r = leftSingular64(short, Math.min(s, t));
    return { kind: 'matrix', sigma: [r.s], vectors: [r.u], norm, transposed };
  }
  throw new TnzipError(
    'SHAPE_MISMATCH',
    `batudeSpectra: expected a conv kernel [k_h, k_w, S, T] or a matrix [S, T], got shape [${a.shape.join(', ')}]`,
  );
}

/** `u[:, :r] · diag(d)` as a new `[rows, r]` matrix. */
function scaledColumns(u: Matrix64, r: number, d: Float64Array): Matrix64 {
  const out = new Float64Array(u.rows * r);
  for (let i = 0; i < u.rows; i++)
    for (let j = 0; j < r; j++) out[i * r + j] = (u.data[i * u.cols + j] as number) * (d[j] as number);
  return { rows: u.rows, cols: r, data: out };
}

function firstColumns(u: Matrix64, r: number): Matrix64 {
  const ones = new Float64Array(r).fill(1);
  return scaledColumns(u, r, ones);
}

/** Shrink factors `max(σ_j − τ, 0)/σ_j` of the kept components (1 when τ = 0). */
function shrinkFactors(sigma: Float64Array, r: number, tau: number): Float64Array {
  const d = new Float64Array(r);
  for (let j = 0; j < r; j++) {
    const s = sigma[j] as number;
    d[j] = tau <= 0 ? 1 : s > 0 ? Math.max(s - tau, 0) / s : 0;
  }
  return d;
}

/**
 * BATUDE's Z-step projection ([P], papers.md §1.2 TwoModeSVT option (c)): the Tucker-2 HOSVD
 * truncation of `a` to `ranks`, `Z = A ×_S (U_S D_S U_Sᵀ) ×_T (U_T D_T U_Tᵀ)` with `U_S`, `U_T`
 * the leading `R_S`, `R_T` left singular vectors of the mode-S / mode-T unfoldings and
 * `D = diag(max(σ_j − τ, 0)/σ_j)` the optional soft shrinkage (τ = λ/ρ; τ = 0: a plain
 * projection). A matrix is truncated the same way on its short side (`Z = U_R D U_Rᵀ A`, the
 * rank-R SVD with singular-value soft thresholding). Pure float64; `a` is not modified.
 *
 * @param spectra {@link batudeSpectra} of `a`
 * @param ranks `[R_S, R_T]` (Tucker-2) or `[R]` (matrix), each in `[1, bound]`
 * @param tau soft-threshold ≥ 0
 */
export function batudeProject(a: Tensor64, spectra: BatudeSpectra, ranks: readonly number[], tau = 0): Tensor64 {
  if (ranks.length !== spectra.sigma.length)
    throw new TnzipError('INVALID_RANK', `batudeProject: expected ${spectra.sigma.length} ranks, got ${ranks.length}`);
  ranks.forEach((r, i) => {
    const b = (spectra.sigma[i] as Float64Array).length;
    if (!Number.isInteger(r) || r < 1 || r > b)
      throw new TnzipError('INVALID_RANK', `batudeProject: ranks[${i}] must be an integer in [1, ${b}], got ${r}`);
  });
  if (spectra.kind === 'tucker2') {
    let z: Tensor64 = a;
    [2, 3].forEach((mode, i) => {
      const r = ranks[i] as number;
      const u = spectra.vectors[i] as Matrix64;
      const d = shrinkFactors(spectra.sigma[i] as Float64Array, r, tau);
      // A ×_n (U D Uᵀ) = (A ×_n Uᵀ) ×_n (U D): two thin products instead of an n×n projector.
      const g = modeProduct64(z, firstColumns(u, r), mode, { transpose: true });
      z = modeProduct64(g, scaledColumns(u, r, d), mode);
    });
    return z;
  }
  const [s, t] = a.shape as [number, number];
  const r = ranks[0] as number;
  const u = spectra.vectors[0] as Matrix64;
  const d = shrinkFactors(spectra.sigma[0] as Float64Array, r, tau);
  const m: Tensor64 = spectra.transposed
    ? { shape: [t, s], data: transpose64({ rows: s, cols: t, data: a.data }).data }
    : a;
  const g = modeProduct64(m, firstColumns(u, r), 0, { transpose: true });
  const z = modeProduct64(g, scaledColumns(u, r, d), 0);
  return spectra.transposed ? { shape: [s, t], data: transpose64({ rows: t, cols: s, data: z.data }).data } : z;
}
