import { Conv2d, type LayerPlan, Linear, planCost } from '@tnzip/layers';
import {
  balancedDims,
  fromTf,
  type Matrix64,
  permuteData64,
  TnzipError,
  transpose64,
  ttMatrixRankBounds,
  ttRankBounds,
} from '@tnzip/tensor';
import type { CompressibleLayer } from './compressible.js';
import type { LayerSpace, TTDims } from './layer-space.js';
import { planAndCost, prefixProducts, type RankSpaceProvider, registerRankSpace, view } from './rank-space-registry.js';

/**
 * Default TT factorization of a channel count `n`: order `max(1, ⌈log2(n)/3⌉)` (factors near 8)
 * and `balancedDims(n, order)` (as equal as possible, descending): 16 → [4, 4], 50 → [10, 5],
 * 500 → [10, 10, 5], 3 → [3].
 */
export function defaultTTDims(n: number): number[] {
  const order = Math.max(1, Math.ceil(Math.log2(n) / 3 - 1e-12));
  return balancedDims(n, order);
}

/** The part of a TT space that does not depend on the layer type: one rank per bond. */
function ttSpace(
  c: CompressibleLayer,
  dims: { rowDims: number[]; colDims: number[] },
  bounds: number[],
  unfoldingShapes: (readonly [number, number])[],
  unfolding: (mode: number) => Matrix64,
): LayerSpace {
  const { rowDims, colDims } = dims;
  // Validates the dims against S and T once, at full ranks.
  planCost(c.layer, { kind: 'tt', rowDims, colDims, ranks: bounds }, c.inputShape);
  return {
    ...c,
    format: 'tt',
    key: `tt:${rowDims.join('x')}/${colDims.join('x')}`,
    modes: bounds.map((_, k) => `bond ${k}`),
    bounds,
    unfoldingShapes,
    ...planAndCost(c, bounds.length, (r): LayerPlan => ({ kind: 'tt', rowDims, colDims, ranks: [...r] })),
    ranksOf: (p) => {
      if (p.kind !== 'tt')
        throw new TnzipError('INVALID_ARGUMENT', `layer '${c.path}': expected a TT plan, got ${JSON.stringify(p)}`);
      return [...p.ranks];
    },
    unfolding,
  };
}

/**
 * Format `'tt'` of a Conv2d: a TT conv over the chain `[s_1…s_n, k_h·k_w, t_1…t_m]` (dims from
 * `options.ttDims` or `defaultTTDims` of S and T); rank k is measured on the k-th sequential
 * unfolding of the kernel in that layout.
 */
export const ttConvSpace: RankSpaceProvider = {
  format: 'tt',
  appliesTo: (c) => c.layer instanceof Conv2d,
  space(c, options) {
    const layer = c.layer as Conv2d;
    const [kh, kw] = layer.kernelSize;
    const s = layer.inChannels;
    const t = layer.outChannels;
    const dims: TTDims = options.ttDims?.(c) ?? { rowDims: defaultTTDims(t), colDims: defaultTTDims(s) };
    const chain = [...dims.colDims, kh * kw, ...dims.rowDims];
    const rows = prefixProducts(chain);
    return ttSpace(
      c,
      { rowDims: [...dims.rowDims], colDims: [...dims.colDims] },
      ttRankBounds(chain),
      rows.map((p) => [p, (s * t * kh * kw) / p] as const),
      (mode) => {
        // [k_h, k_w, S, T] → [S, k_h, k_w, T], which row-major is the chain [s…, k_h·k_w, t…].
        const w = fromTf(layer.weight, `${c.path}.weight`);
        return view(permuteData64(w.data, w.shape, [2, 0, 1, 3]), rows[mode] as number);
      },
    );
  },
};

/** The TT dims of a Linear: `options.ttDims`, else balanced dims of the larger default order (>= 2). */
function linearDims(c: CompressibleLayer, s: number, t: number, ttDims?: (c: CompressibleLayer) => TTDims): TTDims {
  let dims = ttDims?.(c);
  if (dims === undefined) {
    const d = Math.max(2, defaultTTDims(s).length, defaultTTDims(t).length);
    dims = { rowDims: balancedDims(t, d), colDims: balancedDims(s, d) };
  }
  if (dims.rowDims.length !== dims.colDims.length) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `ttDims for Linear '${c.path}': rowDims and colDims must have the same length, got ${dims.rowDims.length} and ${dims.colDims.length}`,
    );
  }
  if (dims.rowDims.length < 2)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `ttDims for Linear '${c.path}': need at least 2 pairs (d − 1 ≥ 1 ranks), got ${dims.rowDims.length}`,
    );
  return dims;
}

/**
 * Format `'tt'` of a Linear: a TT-matrix of `M = Wᵀ` `[T, S]` with `d` pairs `(t_k, s_k)`, m major
 * (the layout of TTLinear's cores); rank k is measured on the k-th unfolding of the paired tensor.
 */
export const ttLinearSpace: RankSpaceProvider = {
  format: 'tt',
  appliesTo: (c) => c.layer instanceof Linear,
  space(c, options) {
    const layer = c.layer as Linear;
    const s = layer.inFeatures;
    const t = layer.outFeatures;
    const dims = linearDims(c, s, t, options.ttDims);
    const rowDims = [...dims.rowDims];
    const colDims = [...dims.colDims];
    const rows = prefixProducts(rowDims.map((mk, k) => mk * (colDims[k] as number)));
    return ttSpace(
      c,
      { rowDims, colDims },
      ttMatrixRankBounds(rowDims, colDims),
      rows.map((p) => [p, (s * t) / p] as const),
      (mode) => {
        const w = fromTf(layer.weight, `${c.path}.weight`);
        const m = transpose64({ rows: s, cols: t, data: w.data });
        const d = rowDims.length;
        const perm: number[] = [];
        for (let k = 0; k < d; k++) perm.push(k, d + k);
        return view(permuteData64(m.data, [...rowDims, ...colDims], perm), rows[mode] as number);
      },
    );
  },
};

registerRankSpace(ttConvSpace);
registerRankSpace(ttLinearSpace);
