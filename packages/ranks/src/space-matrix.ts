import { Linear } from '@tnzip/layers';
import { fromTf, TnzipError } from '@tnzip/tensor';
import { planAndCost, type RankSpaceProvider, registerRankSpace } from './rank-space-registry.js';

/**
 * Format `'tucker2'` of a Linear: a rank-R matrix factorization, written as the TT-matrix plan
 * `{ kind: 'tt', rowDims: [1, T], colDims: [S, 1], ranks: [R] }` (the layers package has no
 * Tucker-2 Linear; this plan is `x·U·V` with `U` `[S, R]`, `V` `[R, T]`: `R·(S + T)` params and
 * MACs). R is measured on `W` `[S, T]`.
 */
export const matrixLinearSpace: RankSpaceProvider = {
  format: 'tucker2',
  appliesTo: (c) => c.layer instanceof Linear,
  space(c) {
    const layer = c.layer as Linear;
    const s = layer.inFeatures;
    const t = layer.outFeatures;
    const rowDims = [1, t];
    const colDims = [s, 1];
    return {
      ...c,
      format: 'tucker2',
      key: 'matrix',
      modes: ['R'],
      bounds: [Math.min(s, t)],
      unfoldingShapes: [[s, t]],
      ...planAndCost(c, 1, (r) => ({ kind: 'tt', rowDims, colDims, ranks: [r[0] as number] })),
      ranksOf: (p) => {
        if (p.kind !== 'tt' || p.ranks.length !== 1)
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `layer '${c.path}': expected a rank-R matrix plan, got ${JSON.stringify(p)}`,
          );
        return [p.ranks[0] as number];
      },
      unfolding: () => {
        const w = fromTf(layer.weight, `${c.path}.weight`);
        return { rows: s, cols: t, data: w.data };
      },
    };
  },
};

registerRankSpace(matrixLinearSpace);
