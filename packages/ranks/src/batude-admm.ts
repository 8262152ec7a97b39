import type * as tf from '@tensorflow/tfjs-core';
import type { Tensor64 } from '@tnzip/tensor';
import { type BatudeSpectra, batudeProject, batudeSpectra } from './batude-truncate.js';
import { metricOf } from './budget.js';
import { greedyAllocate } from './greedy-allocate.js';
import { factorizedAt, type RankProblem } from './problem.js';

/**
 * How GreedyBudget weighs a layer's singular values ([P]):
 * - `'log-energy'` (default): the value of component k of an unfolding is the gain in the log of the
 *   energy it keeps, `log(E_{k+1}/E_k)` with `E_k = Σ_{j≤k} σ_j²` — GreedyBudget then maximizes
 *   `Σ_l log(kept energy of l)`, the product of the layers' kept energy fractions, per unit of
 *   absolute cost. Diminishing returns within a layer and an unbounded penalty for emptying one,
 *   so no layer is starved while each still follows its own spectrum.
 * - `'cost-share'`: the value of component i of layer l is `(σ_i/‖A_l‖_F)·D_l`, with `D_l`
 *   the layer's dense cost, so its score `value/Δcost` is the fraction of the layer's spectrum
 *   bought per fraction of the layer's own dense cost. Scale-free in the layer's size: a big layer
 *   (LeNet-300-100's fc1, 784×300) is no longer starved because each of its components costs 10×
 *   a small layer's (fc1 at rank 1 → 29 % accuracy at 10x).
 * - `'energy'`: the component's share of the layer's energy `σ_i²/‖A_l‖_F²` per unit of absolute
 *   cost: every layer's relative truncation error counts alike.
 * - `'none'`: `σ_i/‖A_l‖_F` per unit of absolute cost (the historical rule).
 */
export type BatudeWeighting = 'log-energy' | 'cost-share' | 'energy' | 'none';

/** The weight variable of layer `l` of `problem`. */
export function weightOf(problem: RankProblem, l: number): tf.Variable {
  return (problem.spaces[l] as RankProblem['spaces'][number]).layer.weight;
}

/** What one BATUDE Z/U update produces (float32 per layer, as the hook stores them). */
export interface AdmmUpdate {
  readonly z: Float32Array[];
  readonly u: Float32Array[];
  readonly rho: number;
  readonly ranks: number[][];
  /** Per layer path, the smallest kept singular value of each unfolding. */
  readonly thresholds: Record<string, number[]>;
}

/**
 * One Z/U update of BATUDE's ADMM (see `batudeHook`): for every layer `A_l = W_l + U_l` (float64);
 * GreedyBudget over the normalized singular values of the unfoldings of every `A_l` gives the
 * ranks; `Z_l` = the Tucker-2 truncation of `A_l` to them, soft-shrunk by `(lambda / rho)·σ_max(A_l)` (a layer
 * planned dense keeps `A_l`: no rank constraint); `U_l ← U_l + W_l − Z_l`; then
 * `ρ ← min(ρ·growth, rhoMax)` and the scaled dual is rescaled by `ρ_old / ρ_new`.
 *
 * @param ws the current weights (float32, one per layer of `problem`)
 * @param u the current scaled duals, or null before the first update
 */
export function admmUpdate(
  problem: RankProblem,
  ws: readonly Float32Array[],
  u: readonly Float32Array[] | null,
  rho: number,
  options: {
    readonly lambda: number;
    readonly growth: number;
    readonly rhoMax: number;
    readonly weighting?: BatudeWeighting;
  },
): AdmmUpdate {
  const as: Tensor64[] = ws.map((w, l) => {
    const a = new Float64Array(w.length);
    const ul = u?.[l];
    for (let i = 0; i < a.length; i++) a[i] = (w[i] as number) + (ul === undefined ? 0 : (ul[i] as number));
    return { shape: weightOf(problem, l).shape, data: a };
  });
  const spectra: BatudeSpectra[] = as.map(batudeSpectra);
  const weighting = options.weighting ?? 'log-energy';
  const weights = problem.spaces.map((s) => (weighting === 'cost-share' ? metricOf(s.dense, problem.metric) : 1));
  // Prefix energies Σ_{j<k} σ_j² of every unfolding, for 'log-energy'.
  const prefix = spectra.map((sp) =>
    sp.sigma.map((sig) => {
      const e = new Float64Array(sig.length + 1);
      for (let j = 0; j < sig.length; j++) e[j + 1] = (e[j] as number) + (sig[j] as number) ** 2;
      return e;
    }),
  );
  const result = greedyAllocate(problem, {
    value: (l, i, k) => {
      const sp = spectra[l] as BatudeSpectra;
      if (!(sp.norm > 0)) return 0;
      if (weighting === 'log-energy') {
        const e = (prefix[l] as Float64Array[])[i] as Float64Array;
        const before = e[k] as number;
        const after = e[k + 1] as number;
        return before > 0 ? Math.log(after / before) : after > 0 ? Number.MAX_VALUE : 0;
      }
      const v = ((sp.sigma[i] as Float64Array)[k] as number) / sp.norm;
      return weighting === 'energy' ? v * v : v * (weights[l] as number);
    },
  });
  const newZ: Float32Array[] = [];
  const newU: Float32Array[] = [];
  const thresholds: Record<string, number[]> = {};
  problem.spaces.forEach((space, l) => {
    const r = result.ranks[l] as number[];
    // A layer planned dense keeps its full-rank weight: no projection.
    // Relative soft threshold: τ_l = (λ/ρ)·σ_max(A_l), so one λ means the same on layers of any scale
    // (the hook passes λ·ρ₀ here, so its λ is the first update's fraction of σ_max).
    const sp = spectra[l] as BatudeSpectra;
    const sigmaMax = Math.max(...sp.sigma.map((x) => x[0] ?? 0));
    const tau = (options.lambda / rho) * sigmaMax;
    const zl = factorizedAt(problem, l, r) ? batudeProject(as[l] as Tensor64, sp, r, tau) : (as[l] as Tensor64);
    const w = ws[l] as Float32Array;
    const ul = u?.[l];
    const zf = Float32Array.from(zl.data);
    const uf = new Float32Array(w.length);
    for (let i = 0; i < uf.length; i++)
      uf[i] = (ul === undefined ? 0 : (ul[i] as number)) + (w[i] as number) - (zf[i] as number);
    newZ.push(zf);
    newU.push(uf);
    thresholds[space.path] = r.map((k, i) => ((spectra[l] as BatudeSpectra).sigma[i] as Float64Array)[k - 1] as number);
  });
  const next = Math.min(rho * options.growth, options.rhoMax);
  if (next !== rho) {
    // Scaled dual: U = y/ρ, so a new ρ rescales U and keeps the multiplier y.
    const f = rho / next;
    for (const ul of newU) for (let i = 0; i < ul.length; i++) ul[i] = (ul[i] as number) * f;
  }
  return { z: newZ, u: newU, rho: next, ranks: result.ranks, thresholds };
}

/** Per layer, the relative primal residual `‖W_l − Z_l‖_F / ‖W_l‖_F` (empty without Z). */
export function layerResiduals(problem: RankProblem, z: readonly Float32Array[] | null): number[] {
  if (z === null) return [];
  return z.map((zl, l) => {
    const w = weightOf(problem, l).dataSync();
    let num = 0;
    let den = 0;
    for (let i = 0; i < zl.length; i++) {
      num += ((w[i] as number) - (zl[i] as number)) ** 2;
      den += (w[i] as number) ** 2;
    }
    return den > 0 ? Math.sqrt(num / den) : 0;
  });
}

/** The primal residual `Σ‖W − Z‖² / Σ‖W‖²` of the current weights (0 without Z). */
export function primalResidual(problem: RankProblem, z: readonly Float32Array[] | null): number {
  if (z === null) return 0;
  let num = 0;
  let den = 0;
  z.forEach((zl, l) => {
    const w = weightOf(problem, l).dataSync();
    for (let i = 0; i < zl.length; i++) {
      num += ((w[i] as number) - (zl[i] as number)) ** 2;
      den += (w[i] as number) ** 2;
    }
  });
  return den > 0 ? num / den : 0;
}
