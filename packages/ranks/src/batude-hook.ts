import * as tf from '@tensorflow/tfjs-core';
import { type FactorizationPlan, factorize, type Module } from '@tnzip/layers';
import { checkInt, checkNumber, TnzipError } from '@tnzip/tensor';
import type { JsonValue, TrainContext, TrainHook } from '@tnzip/train';
import { admmUpdate, type BatudeWeighting, layerResiduals, primalResidual, weightOf } from './batude-admm.js';
import { batudeStateFromJson, batudeStateToJson } from './batude-state.js';
import type { Budget } from './budget.js';
import { now, ranksByLayer } from './finish.js';
import { checkFeasible, type DenseFallback, planOf, type RankProblem, rankProblem, totalCost } from './problem.js';
import { selectionReport } from './report.js';
import type { SelectionContext, SelectionReport } from './selector.js';

/** Options of {@link batudeHook}. Every default is [P] (papers.md §1.3): BATUDE's values are unknown. */
export interface BatudeOptions {
  /** Initial penalty ρ > 0 (default 1e-3, the CVPR'21 ADMM code's `--rho`). */
  readonly rho?: number;
  /** ρ ← min(ρ·γ, rhoMax) after every Z/U update (default γ = 1.25, ≥ 1). */
  readonly rhoGrowth?: number;
  /** Cap of ρ (default 1). */
  readonly rhoMax?: number;
  /**
   * Nuclear-norm weight λ ≥ 0, relative to each layer's scale and to ρ₀: at a Z-update the kept
   * singular values of `A_l` are soft-thresholded by `τ_l = λ·(ρ₀/ρ)·σ_max(A_l)` — the proximal
   * step of the nuclear norm weighted `λ·ρ₀·σ_max(A_l)` — so λ is the first update's threshold as
   * a fraction of σ_max, fading as ρ grows (ADMM's λ/ρ). Default 0: hard truncation only (the
   * selector's default chooses λ > 0).
   */
  readonly lambda?: number;
  /** GreedyBudget's weighting of layers (default `'log-energy'`; see {@link BatudeWeighting}). */
  readonly weighting?: BatudeWeighting;
  /** Also update Z/U after every `updateEvery` training steps (default 0: at epoch starts only). */
  readonly updateEvery?: number;
  /** Update Z/U at the start of every epoch (default true). */
  readonly updateAtEpochStart?: boolean;
  /** Lowest rank of any mode (default 2, so no layer is starved to rank 1; clamped to each bound). */
  readonly minRank?: number;
  /**
   * When a layer is planned dense because its factorization would cost more than the dense layer
   * ({@link DenseFallback}; default `'none'`, the historical behaviour). With `'metric'` / `'both'`
   * a layer whose read-out ranks do not pay stays dense: its Z is `W + U` unprojected (a dense
   * layer has no rank constraint) and the budget counts its dense cost. Without it, GreedyBudget
   * can give a rank-R Linear more MACs and parameters than the dense layer (seen on LeNet-5: fc1
   * at rank 378 of 500, 491k MACs against 400k dense).
   */
  readonly denseFallback?: DenseFallback;
}

/** BATUDE as a training hook; see {@link batudeHook}. */
export interface BatudeHook extends TrainHook {
  /** The rank problem (compressible layers, budget, limit) the hook allocates in. */
  readonly problem: RankProblem;
  /** Current penalty ρ. */
  rho(): number;
  /** Z/U updates done. */
  updates(): number;
  /** The plan of the current ranks (`{ [path]: LayerPlan }`), or null before the first update. */
  ranks(): FactorizationPlan | null;
  /** `{ rho, updates, ranks, z, u }` (z, u: float32 values per layer) — exact through JSON. */
  state(): JsonValue;
  /** Restores {@link BatudeHook.state}. @throws TnzipError CORRUPT_FILE for a state of another shape */
  loadState(state: JsonValue): void;
  /**
   * Runs one Z/U update now (what the hook does at epoch starts / every K steps). Reads the weights
   * synchronously: on webgpu, `await` their `data()` first (the training hooks do).
   */
  update(): void;
  /** The primal residual `Σ‖W − Z‖² / Σ‖W‖²` (0 before the first update): how far W is from the low-rank set. */
  residual(): number;
  /** Per layer path, `‖W_l − Z_l‖_F / ‖W_l‖_F` (empty before the first update). */
  residuals(): Record<string, number>;
  /**
   * Reads out the ranks of the last update and returns their plan and report; with
   * `factorize: true` (default) also replaces the layers of `model` by their Tucker-2 /
   * rank-R versions, initialized by HOSVD / truncated SVD of the trained weights
   * (`factorize`). Disposes the hook's tensors; the hook cannot be used afterwards.
   */
  finalize(model: Module, options?: { factorize?: boolean }): { plan: FactorizationPlan; report: SelectionReport };
  /** Frees the hook's tensors (Z − U per layer). */
  dispose(): void;
}

function resolveOptions(options: BatudeOptions) {
  const rho0 = options.rho ?? 1e-3;
  const growth = options.rhoGrowth ?? 1.25;
  const rhoMax = options.rhoMax ?? 1;
  const lambda = options.lambda ?? 0;
  const weighting = options.weighting ?? 'log-energy';
  if (!['log-energy', 'cost-share', 'energy', 'none'].includes(weighting))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.weighting must be 'log-energy', 'cost-share', 'energy' or 'none', got ${JSON.stringify(weighting)}`,
    );
  const updateEvery = options.updateEvery ?? 0;
  const atEpochStart = options.updateAtEpochStart ?? true;
  checkNumber(rho0, 'options.rho', Number.MIN_VALUE, Number.MAX_VALUE);
  checkNumber(growth, 'options.rhoGrowth', 1, Number.MAX_VALUE);
  checkNumber(rhoMax, 'options.rhoMax', rho0, Number.MAX_VALUE);
  checkNumber(lambda, 'options.lambda', 0, Number.MAX_VALUE);
  checkInt(updateEvery, 'options.updateEvery', 0);
  if (!atEpochStart && updateEvery === 0)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'batudeHook: with updateAtEpochStart false, options.updateEvery must be >= 1',
    );
  return { rho0, growth, rhoMax, lambda, weighting, updateEvery, atEpochStart };
}

/** `Z − U` per layer, as float32 tensors of the weights' shapes (the targets of the penalty). */
function targetsOf(problem: RankProblem, z: readonly Float32Array[], u: readonly Float32Array[]): tf.Tensor[] {
  return z.map((zl, l) => {
    const ul = u[l] as Float32Array;
    const d = new Float32Array(zl.length);
    for (let i = 0; i < d.length; i++) d[i] = (zl[i] as number) - (ul[i] as number);
    return tf.tensor(d, weightOf(problem, l).shape);
  });
}

/** The augmented-Lagrangian term `(ρ/2) Σ_l ‖W_l − (Z_l − U_l)‖_F²` (0 before the first update). */
function penalty(problem: RankProblem, target: readonly tf.Tensor[] | null, rho: number): tf.Scalar {
  if (target === null) return tf.scalar(0);
  let s: tf.Tensor = tf.scalar(0);
  target.forEach((d, l) => {
    s = tf.add(s, tf.sum(tf.square(tf.sub(weightOf(problem, l), d))));
  });
  return tf.mul(s, rho / 2) as tf.Scalar;
}

/** The report of the read-out ranks `table` (their plan `plan`). */
function readOut(
  model: Module,
  problem: RankProblem,
  context: Pick<SelectionContext, 'inputShape' | 'layers'>,
  plan: FactorizationPlan,
  table: number[][],
  at: {
    rho: number;
    updates: number;
    thresholds: Record<string, number[]>;
    searchMs: number;
    lambda: number;
    weighting: BatudeWeighting;
    residuals: Record<string, number>;
  },
): SelectionReport {
  return selectionReport(model, plan, {
    method: 'batude',
    budget: problem.budget,
    context,
    layers: problem.spaces,
    searchMs: at.searchMs,
    details: {
      format: 'tucker2',
      rho: at.rho,
      updates: at.updates,
      ranks: ranksByLayer(problem, table),
      thresholds: at.thresholds,
      lambda: at.lambda,
      weighting: at.weighting,
      residuals: at.residuals,
      cost: totalCost(problem, table),
    },
  });
}

/**
 * BATUDE (Yin et al., AAAI 2022) as a {@link TrainHook}: budget-constrained alternating-direction
 * training. Reconstruction [P] of papers.md §1.2 (BC-ADL, GreedyBudget, TwoModeSVT option (c)):
 *
 * - `extraLoss` adds `(ρ/2) Σ_l ‖W_l − Z_l + U_l‖_F²` (scaled dual U) to the training loss;
 * - a Z/U update (at each epoch start and/or every `updateEvery` steps): for every layer
 *   `A_l = W_l + U_l`; the singular values of its mode-S and mode-T unfoldings (a Linear: of the
 *   matrix) go to GreedyBudget — `greedyAllocate`, value `σ_i/‖A_l‖_F` per unit of exact
 *   marginal cost (budget metric), prefix per unfolding, maximal within the budget — which
 *   gives the ranks `(R_S, R_T)`; `Z_l` = Tucker-2 HOSVD truncation of `A_l` to them (optional
 *   soft shrinkage λ/ρ); `U_l ← U_l + W_l − Z_l`; then ρ ← min(γρ, ρ_max) with the scaled dual
 *   rescaled `U ← U·ρ_old/ρ_new` (so the unscaled dual ρU is unchanged — standard ADMM with a
 *   varying penalty);
 * - `finalize` reads out the ranks of the last update and factorizes.
 *
 * Z/U are computed in float64 from the float32 weights and stored as float32 on the CPU (their
 * difference `Z − U` as one tensor per layer for the loss), so `state()`/`loadState()` round-trip
 * them exactly and a resumed run continues bit-exactly.
 *
 * @param context input shape and the layers to compress (default every Conv2d / Linear)
 * @throws TnzipError INVALID_BUDGET (also when even the minimum ranks exceed it), INVALID_ARGUMENT
 */
export function batudeHook(
  model: Module,
  budget: Budget,
  context: Pick<SelectionContext, 'inputShape' | 'layers'>,
  options: BatudeOptions = {},
): BatudeHook {
  const { rho0, growth, rhoMax, lambda, weighting, updateEvery, atEpochStart } = resolveOptions(options);
  const problem = rankProblem(
    model,
    budget,
    { inputShape: context.inputShape, ...(context.layers === undefined ? {} : { layers: context.layers }) },
    {
      format: 'tucker2',
      minRank: options.minRank ?? 2,
      denseFallback: options.denseFallback ?? 'none',
    },
  );
  checkFeasible(problem, 'batude');

  let rho = rho0;
  let updates = 0;
  let ranks: number[][] | null = null;
  let z: Float32Array[] | null = null;
  let u: Float32Array[] | null = null;
  let target: tf.Tensor[] | null = null; // Z − U per layer
  let searchMs = 0;
  let disposed = false;
  let lastThresholds: Record<string, number[]> = {};

  const alive = (): void => {
    if (disposed) throw new TnzipError('INVALID_ARGUMENT', 'batudeHook: the hook was finalized or disposed');
  };
  const setTargets = (): void => {
    if (target !== null) tf.dispose(target);
    target = z === null || u === null ? null : targetsOf(problem, z, u);
  };

  // update() reads the weights synchronously; the training hooks first download them with
  // await data(), which caches them on the CPU: the only way to read them on webgpu in Node.
  const cacheWeights = async (): Promise<void> => {
    alive();
    await Promise.all(problem.spaces.map((_, l) => weightOf(problem, l).data()));
  };

  const update = (): void => {
    alive();
    const started = now();
    const ws = problem.spaces.map((_, l) => weightOf(problem, l).dataSync() as Float32Array);
    const next = admmUpdate(problem, ws, u, rho, { lambda: lambda * rho0, growth, rhoMax, weighting });
    rho = next.rho;
    z = next.z;
    u = next.u;
    ranks = next.ranks;
    lastThresholds = next.thresholds;
    updates++;
    setTargets();
    searchMs += now() - started;
  };

  const residualsByPath = (): Record<string, number> => {
    const r = layerResiduals(problem, z);
    return Object.fromEntries(r.map((v, l) => [(problem.spaces[l] as RankProblem['spaces'][number]).path, v]));
  };

  const dispose = (): void => {
    if (target !== null) tf.dispose(target);
    target = null;
    disposed = true;
  };
  return {
    name: 'batude',
    problem,
    rho: () => rho,
    updates: () => updates,
    ranks: () => (ranks === null ? null : planOf(problem, ranks)),
    update,
    residual: () => primalResidual(problem, z),
    residuals: () => residualsByPath(),
    async onEpochStart(_ctx: TrainContext) {
      if (atEpochStart) {
        await cacheWeights();
        update();
      }
    },
    async afterStep(ctx: TrainContext) {
      if (updateEvery > 0 && ctx.globalStep % updateEvery === 0) {
        await cacheWeights();
        update();
      }
    },
    extraLoss(_ctx: TrainContext): tf.Scalar {
      alive();
      return penalty(problem, target, rho);
    },
    state(): JsonValue {
      return batudeStateToJson({ rho, updates, ranks, z, u });
    },
    loadState(state: JsonValue) {
      alive();
      const s = batudeStateFromJson(problem, state);
      rho = s.rho;
      updates = s.updates;
      ranks = s.ranks;
      z = s.z;
      u = s.u;
      setTargets();
    },
    finalize(m: Module, opts: { factorize?: boolean } = {}) {
      alive();
      if (ranks === null) update();
      const table = ranks as number[][];
      const plan = planOf(problem, table);
      const report = readOut(m, problem, context, plan, table, {
        rho,
        updates,
        thresholds: lastThresholds,
        searchMs,
        lambda,
        weighting,
        residuals: residualsByPath(),
      });
      dispose();
      if (opts.factorize ?? true) factorize(m, plan);
      return { plan, report };
    },
    dispose,
  };
}
