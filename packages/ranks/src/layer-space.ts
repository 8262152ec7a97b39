import { Conv2d, type Cost, type LayerPlan, planCost } from '@tnzip/layers';
import {
  balancedDims,
  fromTf,
  type Matrix64,
  TnzipError,
  transpose64,
  ttMatrixRankBounds,
  ttRankBounds,
  unfold64,
} from '@tnzip/tensor';
import type { CompressibleLayer } from './compressible.js';
import { permuteData } from './internal/permute.js';

/**
 * The factorized format a selector plans for.
 * - `'tucker2'`: a Conv2d becomes Tucker-2 (ranks R_S, R_T of the mode-S and mode-T unfoldings);
 *   a Linear becomes a rank-R matrix factorization, written as the TT-matrix plan
 *   `{ kind: 'tt', rowDims: [1, T], colDims: [S, 1], ranks: [R] }` (the layers package has no
 *   Tucker-2 Linear; this plan is `x·U·V` with `U` `[S, R]`, `V` `[R, T]`: `R·(S + T)` params and MACs).
 * - `'tt'`: a Conv2d becomes a TT conv over the chain `[s_1…s_n, k_h·k_w, t_1…t_m]`; a Linear a
 *   TT-matrix with `d` pairs `(t_k, s_k)`; the dims come from {@link defaultTTDims} or `ttDims`.
 */
export type RankFormat = 'tucker2' | 'tt';

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
   * length; for a Conv2d they may differ. Default: {@link defaultTTDims} of S and T (a Linear
   * uses the larger order of the two, and at least 2).
   */
  readonly ttDims?: (layer: CompressibleLayer) => TTDims;
}

/**
 * The rank structure of one layer in one format: the integer ranks a selector chooses
 * (`bounds.length` of them, `1 ≤ ranks[i] ≤ bounds[i]`), the plan and cost they give, and the
 * matrices whose singular values measure what each rank keeps. Every selector and solver of this
 * package works on this interface, so a new format is one new `layerSpace` branch.
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
 * Default TT factorization of a channel count `n`: order `max(1, ⌈log2(n)/3⌉)` (factors near 8)
 * and `balancedDims(n, order)` (as equal as possible, descending): 16 → [4, 4], 50 → [10, 5],
 * 500 → [10, 10, 5], 3 → [3].
 */
export function defaultTTDims(n: number): number[] {
  const order = Math.max(1, Math.ceil(Math.log2(n) / 3 - 1e-12));
  return balancedDims(n, order);
}

function checkFormat(format: unknown): RankFormat {
  if (format !== 'tucker2' && format !== 'tt') {
    throw new TnzipError('INVALID_ARGUMENT', `options.format must be 'tucker2' or 'tt', got ${JSON.stringify(format)}`);
  }
  return format;
}

/** A row-major buffer viewed as a `rows × (length/rows)` matrix. */
function view(data: Float64Array, rows: number): Matrix64 {
  return { rows, cols: data.length / rows, data };
}

function prefixProducts(dims: readonly number[]): number[] {
  const out: number[] = [];
  let p = 1;
  for (let k = 0; k < dims.length - 1; k++) {
    p *= dims[k] as number;
    out.push(p);
  }
  return out;
}

function checkRanks(ranks: readonly number[], n: number, path: string): void {
  if (!Array.isArray(ranks) || ranks.length !== n) {
    throw new TnzipError('INVALID_RANK', `layer '${path}': expected ${n} ranks, got ${JSON.stringify(ranks)}`);
  }
}

/**
 * The rank structure of `c` in `format` (see {@link RankFormat}).
 *
 * @throws TnzipError INVALID_ARGUMENT (unknown format, TT dims of the wrong length),
 *   SHAPE_MISMATCH (TT dims whose products are not S and T)
 */
export function layerSpace(c: CompressibleLayer, options: LayerSpaceOptions = {}): LayerSpace {
  const format = checkFormat(options.format ?? 'tucker2');
  const { layer, path } = c;
  const base = { ...c, format };
  const withCost = (plan: (r: readonly number[]) => LayerPlan, n: number) => ({
    plan: (r: readonly number[]): LayerPlan => {
      checkRanks(r, n, path);
      return plan(r);
    },
    cost: (r: readonly number[]): Cost => {
      checkRanks(r, n, path);
      return planCost(layer, plan(r), c.inputShape);
    },
  });
  if (layer instanceof Conv2d) {
    const [kh, kw] = layer.kernelSize;
    const s = layer.inChannels;
    const t = layer.outChannels;
    if (format === 'tucker2') {
      return {
        ...base,
        key: 'tucker2',
        modes: ['S', 'T'],
        bounds: [Math.min(s, kh * kw * t), Math.min(t, kh * kw * s)],
        unfoldingShapes: [
          [s, kh * kw * t],
          [t, kh * kw * s],
        ],
        ...withCost((r) => ({ kind: 'tucker2', rankS: r[0] as number, rankT: r[1] as number }), 2),
        ranksOf: (p) => {
          if (p.kind !== 'tucker2' || p.rankS === null || p.rankT === null)
            throw new TnzipError(
              'INVALID_ARGUMENT',
              `layer '${path}': expected a Tucker-2 plan with both ranks, got ${JSON.stringify(p)}`,
            );
          return [p.rankS, p.rankT];
        },
        // Kernel [k_h, k_w, S, T]: S is mode 2, T mode 3.
        unfolding: (mode) => unfold64(fromTf(layer.weight, `${path}.weight`), mode === 0 ? 2 : 3),
      };
    }
    const dims = options.ttDims?.(c) ?? { rowDims: defaultTTDims(t), colDims: defaultTTDims(s) };
    const chain = [...dims.colDims, kh * kw, ...dims.rowDims];
    const rowDims = [...dims.rowDims];
    const colDims = [...dims.colDims];
    // Validates the dims against S and T once, at full ranks.
    const bounds = ttRankBounds(chain);
    planCost(layer, { kind: 'tt', rowDims, colDims, ranks: bounds }, c.inputShape);
    return {
      ...base,
      key: `tt:${rowDims.join('x')}/${colDims.join('x')}`,
      modes: bounds.map((_, k) => `bond ${k}`),
      bounds,
      unfoldingShapes: prefixProducts(chain).map((p) => [p, (s * t * kh * kw) / p] as const),
      ...withCost((r) => ({ kind: 'tt', rowDims, colDims, ranks: [...r] }), bounds.length),
      ranksOf: (p) => {
        if (p.kind !== 'tt')
          throw new TnzipError('INVALID_ARGUMENT', `layer '${path}': expected a TT plan, got ${JSON.stringify(p)}`);
        return [...p.ranks];
      },
      unfolding: (mode) => {
        // [k_h, k_w, S, T] → [S, k_h, k_w, T], which row-major is the chain [s…, k_h·k_w, t…].
        const w = fromTf(layer.weight, `${path}.weight`);
        return view(permuteData(w.data, w.shape, [2, 0, 1, 3]), prefixProducts(chain)[mode] as number);
      },
    };
  }
  const s = layer.inFeatures;
  const t = layer.outFeatures;
  // M = Wᵀ [T, S] as a TT-matrix: pairs (m_k, n_k), m major (the layout of TTLinear's cores).
  const pairUnfolding = (rowDims: readonly number[], colDims: readonly number[], mode: number): Matrix64 => {
    const w = fromTf(layer.weight, `${path}.weight`);
    const m = transpose64({ rows: s, cols: t, data: w.data });
    const d = rowDims.length;
    const perm: number[] = [];
    for (let k = 0; k < d; k++) perm.push(k, d + k);
    const paired = permuteData(m.data, [...rowDims, ...colDims], perm);
    return view(paired, prefixProducts(rowDims.map((mk, k) => mk * (colDims[k] as number)))[mode] as number);
  };
  if (format === 'tucker2') {
    const rowDims = [1, t];
    const colDims = [s, 1];
    return {
      ...base,
      key: 'matrix',
      modes: ['R'],
      bounds: [Math.min(s, t)],
      unfoldingShapes: [[s, t]],
      ...withCost((r) => ({ kind: 'tt', rowDims, colDims, ranks: [r[0] as number] }), 1),
      ranksOf: (p) => {
        if (p.kind !== 'tt' || p.ranks.length !== 1)
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `layer '${path}': expected a rank-R matrix plan, got ${JSON.stringify(p)}`,
          );
        return [p.ranks[0] as number];
      },
      unfolding: () => {
        const w = fromTf(layer.weight, `${path}.weight`);
        return { rows: s, cols: t, data: w.data };
      },
    };
  }
  let dims = options.ttDims?.(c);
  if (dims === undefined) {
    const d = Math.max(2, defaultTTDims(s).length, defaultTTDims(t).length);
    dims = { rowDims: balancedDims(t, d), colDims: balancedDims(s, d) };
  }
  const rowDims = [...dims.rowDims];
  const colDims = [...dims.colDims];
  if (rowDims.length !== colDims.length) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `ttDims for Linear '${path}': rowDims and colDims must have the same length, got ${rowDims.length} and ${colDims.length}`,
    );
  }
  if (rowDims.length < 2)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `ttDims for Linear '${path}': need at least 2 pairs (d − 1 ≥ 1 ranks), got ${rowDims.length}`,
    );
  const bounds = ttMatrixRankBounds(rowDims, colDims);
  planCost(layer, { kind: 'tt', rowDims, colDims, ranks: bounds }, c.inputShape);
  return {
    ...base,
    key: `tt:${rowDims.join('x')}/${colDims.join('x')}`,
    modes: bounds.map((_, k) => `bond ${k}`),
    bounds,
    unfoldingShapes: prefixProducts(rowDims.map((mk, k) => mk * (colDims[k] as number))).map(
      (p) => [p, (s * t) / p] as const,
    ),
    ...withCost((r) => ({ kind: 'tt', rowDims, colDims, ranks: [...r] }), bounds.length),
    ranksOf: (p) => {
      if (p.kind !== 'tt')
        throw new TnzipError('INVALID_ARGUMENT', `layer '${path}': expected a TT plan, got ${JSON.stringify(p)}`);
      return [...p.ranks];
    },
    unfolding: (mode) => pairUnfolding(rowDims, colDims, mode),
  };
}
