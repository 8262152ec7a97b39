import type { Cost, LayerPlan } from '@tnzip/layers';
import type { Matrix64 } from '@tnzip/tensor';
import { ensureBuiltinRankSpaces } from './builtin-spaces.js';
import type { CompressibleLayer } from './compressible.js';
import { rankSpaceProvider } from './rank-space-registry.js';

export { defaultTTDims } from './space-tt.js';

/**
 * The factorized format a selector plans for.
 * - `'tucker2'`: a Conv2d becomes Tucker-2 (ranks R_S, R_T of the mode-S and mode-T unfoldings);
 *   a Linear becomes a rank-R matrix factorization, written as the TT-matrix plan
 *   `{ kind: 'tt', rowDims: [1, T], colDims: [S, 1], ranks: [R] }` (the layers package has no
 *   Tucker-2 Linear; this plan is `x·U·V` with `U` `[S, R]`, `V` `[R, T]`: `R·(S + T)` params and MACs).
 * - `'tt'`: a Conv2d becomes a TT conv over the chain `[s_1…s_n, k_h·k_w, t_1…t_m]`; a Linear a
 *   TT-matrix with `d` pairs `(t_k, s_k)`; the dims come from `defaultTTDims` or `ttDims`.
 * - any other format a registered `RankSpaceProvider` answers (`registerRankSpace`).
 */
export type RankFormat = 'tucker2' | 'tt' | (string & {});

/** The TT reshape of a layer: `rowDims` factor T (outputs), `colDims` factor S (inputs). */
export interface TTDims {
  readonly rowDims: readonly number[];
  readonly colDims: readonly number[];
}

/** Options shared by every selector that plans through {@link layerSpace}. */
export interface LayerSpaceOptions {
  /** Default `'tucker2'`. */
  readonly format?: RankFormat;
  /**
   * The TT reshape of a layer (format 'tt' only). For a Linear both lists must have the same
   * length; for a Conv2d they may differ. Default: `defaultTTDims` of S and T (a Linear
   * uses the larger order of the two, and at least 2).
   */
  readonly ttDims?: (layer: CompressibleLayer) => TTDims;
}

/**
 * The rank structure of one layer in one format: the integer ranks a selector chooses
 * (`bounds.length` of them, `1 ≤ ranks[i] ≤ bounds[i]`), the plan and cost they give, and the
 * matrices whose singular values measure what each rank keeps. Every selector and solver of this
 * package works on this interface, so a new format is one registered `RankSpaceProvider`.
 */
export interface LayerSpace extends CompressibleLayer {
  readonly format: RankFormat;
  /** Identifies the reshape behind {@link LayerSpace.unfolding} (format and TT dims), for caches. */
  readonly key: string;
  /** One label per rank: `'S'`, `'T'` (Tucker-2), `'R'` (matrix), `'bond k'` (TT). */
  readonly modes: readonly string[];
  /**
   * Upper bound of each rank: the rank of the matching unfolding, `min(rows, cols)` of
   * {@link LayerSpace.unfolding} (never above what the layer's plan accepts).
   */
  readonly bounds: readonly number[];
  /** `[rows, cols]` of each {@link LayerSpace.unfolding} (`bounds[i] = min(rows, cols)`). */
  readonly unfoldingShapes: readonly (readonly [number, number])[];
  /** The plan of these ranks (validated by {@link LayerSpace.cost}). */
  plan(ranks: readonly number[]): LayerPlan;
  /** `planCost` of {@link LayerSpace.plan} on this layer's input shape, factorized execution. */
  cost(ranks: readonly number[]): Cost;
  /** The ranks a plan of this space's shape holds (the inverse of {@link LayerSpace.plan}). */
  ranksOf(plan: LayerPlan): number[];
  /**
   * The matrix whose singular values rank `mode` keeps: for Tucker-2 the mode-S / mode-T
   * unfolding of the kernel (`S × k_h·k_w·T`, `T × k_h·k_w·S`), for the matrix format `W`
   * `[S, T]`, for TT the k-th sequential unfolding `Π_{i≤k} n_i × Π_{i>k} n_i` of the reshaped
   * weight — whose singular values are exactly those an untruncated TT-SVD sees at bond k.
   * Reads the weight from the backend each call.
   */
  unfolding(mode: number): Matrix64;
}

/**
 * The rank structure of `c` in `format`: the registered `RankSpaceProvider` of that format
 * that applies to the layer builds it (built-in: `'tucker2'` for Conv2d and Linear, `'tt'` for
 * Conv2d and Linear; see `registerRankSpace` for more).
 *
 * @throws TnzipError INVALID_ARGUMENT (unknown format, one that does not apply to the layer, TT
 *   dims of the wrong length), SHAPE_MISMATCH (TT dims whose products are not S and T)
 */
export function layerSpace(c: CompressibleLayer, options: LayerSpaceOptions = {}): LayerSpace {
  ensureBuiltinRankSpaces();
  return rankSpaceProvider(c, options.format ?? 'tucker2').space(c, options);
}
