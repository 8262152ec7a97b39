import { cacheOnCpu, type FactorizationPlan, factorize, type Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type TrainData, type TrainOptions, type TrainResult, train } from '@tnzip/train';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { type LwiqScoreOptions, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { checkFeasible, type RankProblem, type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/** Options of {@link lwiqSelector}: the format (default `'tt'`), TT dims, lowest rank (default 2) and the scoring. */
export interface LwiqOptions extends RankProblemOptions, LwiqScoreOptions {}

/**
 * LWIQ's rank template ([P], papers.md §2.2 step 5): layer l gets
 * `r_l(β) = clip(round(β·p_l·L·r_max_l), r_min, r_max_l)` with `p_l` its normalized
 * significance, `L` the number of layers and `r_max_l` its largest rank bound; every rank of the
 * layer (every TT bond) is `min(r_l, bound)` (and at least its minimum). Non-decreasing in β.
 */
export function lwiqRanks(problem: RankProblem, shares: readonly number[], beta: number): number[][] {
  const L = problem.spaces.length;
  return problem.spaces.map((s, l) => {
    const rMax = Math.max(...s.bounds);
    const r = Math.round(beta * (shares[l] as number) * L * rMax);
    return s.bounds.map((b, i) => Math.min(b, Math.max((problem.minRanks[l] as number[])[i] as number, r)));
  });
}

/**
 * LWIQ (Layer-Wise Imprinting Quantitation, arXiv 2408.01534) as a {@link RankSelector}, in the
 * [P] reconstruction of papers.md §2.2: significance scores from an imprinting proxy classifier
 * ({@link lwiqScores}, computed once per model and calibration set and cached, so a new budget
 * costs only the bisection), normalized over the compressed layers to shares `p_l`; the scaling
 * factor β bisected so that the rank template {@link lwiqRanks} meets the budget; the remainder
 * spent one rank at a time, lowest "β at which this rank would be reached" `(r+1)/(p_l·L·r_max_l)`
 * first (`fillToBudget`: within one rank step). Default format TT (`TTConv2d` / `TTLinear`).
 *
 * Report: `searchMs` is the bisection + fill alone; `details.scoreMs` the scoring (0 when served
 * from the cache, with `details.scoresCached`), `details.beta`, `details.significance`
 * (per layer: proxy accuracy, gain, share). Needs `context.calibration`.
 */
export function lwiqSelector(options: LwiqOptions = {}): RankSelector {
  const opts: LwiqOptions = { format: 'tt', minRank: 2, ...options };
  return {
    name: 'lwiq',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      // The rank problem reads the weights synchronously: cache them on the CPU first (webgpu).
      await cacheOnCpu(model);
      const problem = rankProblem(model, budget, context, opts);
      checkFeasible(problem, 'lwiq');
      const runs = lwiqScoreComputations();
      const scores = await lwiqScores(model, context.calibration, opts);
      const cached = lwiqScoreComputations() === runs;
      const byPath = new Map(scores.layers.map((s) => [s.path, s]));
      const sig = problem.spaces.map((s) => {
        const e = byPath.get(s.path);
        if (e === undefined) throw new TnzipError('INVALID_ARGUMENT', `lwiq: layer '${s.path}' was not scored`);
        return e.significance;
      });
      const total = sig.reduce((a, b) => a + b, 0);
      const shares = sig.map((v) => (total > 0 ? v / total : 1 / sig.length));
      const started = now();
      const L = problem.spaces.length;
      // Above this β every layer sits at its largest bound.
      const hi = Math.max(
        ...problem.spaces.map((s, l) => {
          const rMax = Math.max(...s.bounds);
          return (rMax + 1) / Math.max((shares[l] as number) * L * rMax, 1e-12);
        }),
      );
      const found = bisectBudget({
        lo: 0,
        hi,
        evaluate: (beta) => lwiqRanks(problem, shares, beta),
        cost: (r) => totalCost(problem, r),
        limit: problem.limit,
      });
      const filled = fillToBudget(problem, found.value, (l, _i, r) => {
        const s = problem.spaces[l] as RankProblem['spaces'][number];
        return -(r + 1) / Math.max((shares[l] as number) * L * Math.max(...s.bounds), 1e-12);
      });
      const significance: Record<string, { accuracy: number; gain: number; share: number }> = {};
      problem.spaces.forEach((s, l) => {
        const e = byPath.get(s.path);
        if (e !== undefined) significance[s.path] = { accuracy: e.accuracy, gain: e.gain, share: shares[l] as number };
      });
      return finishSelection(model, problem, filled.ranks, context, 'lwiq', started, {
        beta: found.x,
        fillSteps: filled.steps,
        template: ranksByLayer(problem, found.value),
        significance,
        proxyAccuracy: scores.layers.map((s) => ({ path: s.path, accuracy: s.accuracy })),
        scoreMs: cached ? 0 : scores.ms,
        scoresCached: cached,
      });
    },
  };
}

/** Options of {@link lwiq}`.compress`. */
export interface LwiqCompressOptions extends LwiqOptions {
  /** Fine-tuning of the TT network; null skips it. */
  readonly finetune: Omit<TrainOptions, 'hooks'> | null;
}

/** What {@link lwiq}`.compress` returns. */
export interface LwiqCompressResult {
  readonly model: Module;
  readonly plan: FactorizationPlan;
  /** `searchMs` = β bisection; `details.scoreMs`, `details.finetuneMs` beside it. */
  readonly report: SelectionReport;
  readonly finetune: TrainResult | null;
}

/**
 * The whole LWIQ procedure: scores + β bisection ({@link lwiqSelector}), TT decomposition
 * (`factorize`: TT-SVD of each reshaped kernel into TTConv2d / TTLinear), fine-tuning. Mutates
 * and returns `model`.
 */
async function compress(
  model: Module,
  data: TrainData,
  budget: Budget,
  context: SelectionContext,
  options: LwiqCompressOptions,
): Promise<LwiqCompressResult> {
  const sel = await lwiqSelector(options).select(model, budget, context);
  await cacheOnCpu(model); // scoring ran the model: on webgpu the weights now live on the GPU only
  factorize(model, sel.plan);
  let ft: TrainResult | null = null;
  let finetuneMs = 0;
  if (options.finetune !== null) {
    const started = now();
    ft = await train(model, data, options.finetune);
    finetuneMs = now() - started;
  }
  return {
    model,
    plan: sel.plan,
    report: { ...sel.report, details: { ...sel.report.details, finetuneMs } },
    finetune: ft,
  };
}

/** LWIQ entry points: `lwiq.compress(model, data, budget, context, options)`, the selector and the scores. */
export const lwiq = {
  /** The whole LWIQ procedure: scores and β bisection, TT decomposition, fine-tuning. */
  compress,
  /** {@link lwiqSelector} */
  selector: lwiqSelector,
  /** {@link lwiqScores} */
  scores: lwiqScores,
} as const;
