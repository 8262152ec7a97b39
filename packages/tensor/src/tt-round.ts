import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { fromTf, toTf } from './float64.js';
import { qr64 } from './internal/qr64.js';
import { matmul64, transpose64 } from './matmul64.js';
import { frobenius64, resolveTTRankRule, truncateStep } from './tt-svd.js';
import type { TT64, TTTensor } from './tt-tensor.js';
import { checkTT64 } from './tt-tensor.js';

/**
 * How TT rounding chooses the new ranks (the same rule as TT-SVD):
 * - `{ eps, maxRank? }`: eps in (0, 1), guaranteeing ‖tt − rounded‖_F ≤ eps·‖tt‖_F
 *   (unless `maxRank` binds);
 * - `{ ranks }`: d−1 target internal ranks, each in `[1, ttRankBounds(dims)[k]]`; a target
 *   above what the tensor has is clamped (rounding never increases a rank);
 * - `{ maxRank }`: caps every rank.
 */
export type TTRoundOptions = { eps: number; maxRank?: number } | { ranks: readonly number[] } | { maxRank: number };

/**
 * TT rounding in float64 (Oseledets 2011, Alg. 2): re-compresses a TT tensor without forming it.
 *
 * 1. Right-to-left orthogonalisation: for k = d..2, QR of the transposed unfolding
 *    `G_kᵀ` (`[n_k·r_k, r_{k-1}]`) = Q·R; core k becomes Qᵀ (right-orthonormal) and R is pushed
 *    into core k−1. Then ‖tt‖_F = ‖G_1‖_F.
 * 2. Left-to-right truncated SVDs of `[r_{k-1}·n_k, r_k]` unfoldings with
 *    `δ = eps/√(d−1)·‖tt‖_F`; because the cores to the right are orthonormal, each discarded
 *    tail is the exact error it adds, so ‖tt − rounded‖_F ≤ eps·‖tt‖_F.
 *
 * Ranks never increase. The result's cores 1..d−1 are left-orthonormal.
 */
export function ttRound64(tt: TT64, opts: TTRoundOptions): TT64 {
  const dims = checkTT64(tt, 'tt');
  const rule = resolveTTRankRule(opts, dims);
  const d = dims.length;
  const cores: Tensor64[] = tt.cores.map((c) => ({ shape: [...c.shape], data: Float64Array.from(c.data) }));
  if (d === 1) return { cores };
  for (let k = d - 1; k >= 1; k--) {
    const g = cores[k] as Tensor64;
    const [r0, n, r1] = g.shape as [number, number, number];
    const { q, r } = qr64(transpose64({ rows: r0, cols: n * r1, data: g.data }));
    const p = q.cols;
    cores[k] = { shape: [p, n, r1], data: transpose64(q).data };
    const prev = cores[k - 1] as Tensor64;
    const [pr0, pn] = prev.shape as [number, number, number];
    const merged = matmul64({ rows: pr0 * pn, cols: r0, data: prev.data }, r, false, true);
    cores[k - 1] = { shape: [pr0, pn, p], data: merged.data };
  }
  const delta = rule.kind === 'eps' ? (rule.eps / Math.sqrt(d - 1)) * frobenius64((cores[0] as Tensor64).data) : 0;
  for (let k = 0; k < d - 1; k++) {
    const g = cores[k] as Tensor64;
    const [r0, n, r1] = g.shape as [number, number, number];
    const c: Matrix64 = { rows: r0 * n, cols: r1, data: g.data };
    const { u, rest } = truncateStep(c, rule, k, delta, false);
    cores[k] = { shape: [r0, n, u.cols], data: u.data };
    const next = cores[k + 1] as Tensor64;
    const [, nn, nr1] = next.shape as [number, number, number];
    const merged = matmul64(rest, { rows: r1, cols: nn * nr1, data: next.data });
    cores[k + 1] = { shape: [u.cols, nn, nr1], data: merged.data };
  }
  return { cores };
}

/**
 * TT rounding of a tfjs {@link TTTensor}, computed in float64 ({@link ttRound64}). Returns new
 * cores the caller owns (the input is left untouched). Rejects NaN/Infinity in the cores.
 *
 * Reads its cores synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * await each core's `data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link ttRound64}.
 */
export function ttRound(tt: TTTensor, opts: TTRoundOptions): TTTensor {
  if (tt === null || typeof tt !== 'object' || !Array.isArray(tt.cores)) {
    throw new TnzipError('INVALID_ARGUMENT', 'tt must be a TTTensor { cores }');
  }
  const tt64: TT64 = { cores: tt.cores.map((c, k) => fromTf(c, `tt.cores[${k}]`)) };
  return { cores: ttRound64(tt64, opts).cores.map((c) => toTf<tf.Rank.R3>(c)) };
}
