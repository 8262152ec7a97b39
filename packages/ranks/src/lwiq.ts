import { cacheOnCpu, type FactorizationPlan, type Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { type LwiqScoreOptions, type LwiqScores, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { checkFeasible, type RankProblem, type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/**
 * LWIQ's rank template ([P], papers.md §2.2 step 5; ours, not the paper's):
 * - `'bond'` (default): every rank i of layer l (every TT bond) is its own bound's share,
 *   `r_{l,i}(β) = clip(round(β·p_l·L·b_{l,i}), r_min, b_{l,i})` — a layer's significance sets the
 *   fraction of each bond's bound it keeps, so a bond of bound 25 and one of bound 400 in two
 *   layers of equal significance keep the same fraction, not the same rank;
 * - `'layer'` (the historical rule): one rank per layer, `r_l = round(β·p_l·L·max_i b_{l,i})`,
 *   every bond `min(r_l, b_{l,i})` — normalized by the layer's largest bound, so a layer with a
 *   large bound gets large ranks whatever its score.
 */
export type LwiqTemplate = 'bond' | 'layer';

/** Options of {@link lwiqSelector}: the format (default `'tt'`), TT dims, lowest rank (default 2), the template and the scoring. */
export interface LwiqOptions extends RankProblemOptions, LwiqScoreOptions {
  /** Rank template (default `'bond'`; see {@link LwiqTemplate}). */
  readonly template?: LwiqTemplate;
}

/** The scale of rank i of layer l in the template: `p_l·L·b` (b: the bond's bound or the layer's largest). */
function scaleOf(
  problem: RankProblem,
  shares: readonly number[],
  template: LwiqTemplate,
  l: number,
  i: number,
): number {
  const s = problem.spaces[l] as RankProblem['spaces'][number];
  const b = template === 'bond' ? (s.bounds[i] as number) : Math.max(...s.bounds);
  return Math.max((shares[l] as number) * problem.spaces.length * b, 1e-12);
}

/**
 * The rank template {@link LwiqTemplate} at scaling factor β: non-decreasing in β, every rank in
 * `[minRank, bound]`.
 */
export function lwiqRanks(
  problem: RankProblem,
  shares: readonly number[],
  beta: number,
  template: LwiqTemplate = 'layer',
): number[][] {
  return problem.spaces.map((s, l) =>
    s.bounds.map((b, i) =>
      Math.min(
        b,
        Math.max(
          (problem.minRanks[l] as number[])[i] as number,
          Math.round(beta * scaleOf(problem, shares, template, l, i)),
        ),
      ),
    ),
  );
}

/** Normalized significance shares `p_l` of the problem's layers. */
function sharesOf(problem: RankProblem, scores: LwiqScores): number[] {
  const byPath = new Map(scores.layers.map((s) => [s.path, s]));
  const sig = problem.spaces.map((s) => {
    const e = byPath.get(s.path);
    if (e === undefined) throw new TnzipError('INVALID_ARGUMENT', `lwiq: layer '${s.path}' was not scored`);
    return e.significance;
  });
  const total = sig.reduce((a, b) => a + b, 0);
  return sig.map((v) => (total > 0 ? v / total : 1 / sig.length));
}

/**
 * The ranks of a template of significance shares, spent to `problem`'s budget: β bisected so
 * the template meets the budget, then the remainder spent one rank at a time, lowest "β at which
 * this rank would be reached" `(r+1)/scale` first (`fillToBudget`: within one rank step). Used by
 * LWIQ (shares = significances) and by proxy-search (shares = candidates).
 */
export function templateToBudget(
  problem: RankProblem,
  shares: readonly number[],
  template: LwiqTemplate,
): { ranks: number[][]; beta: number; template: number[][]; fillSteps: number } {
  // Above this β every rank sits at its bound.
  const hi = Math.max(
    ...problem.spaces.flatMap((s, l) => s.bounds.map((b, i) => (b + 1) / scaleOf(problem, shares, template, l, i))),
  );
  const found = bisectBudget({
    lo: 0,
    hi,
    evaluate: (beta) => lwiqRanks(problem, shares, beta, template),
    cost: (r) => totalCost(problem, r),
    limit: problem.limit,
  });
  const filled = fillToBudget(problem, found.value, (l, i, r) => -(r + 1) / scaleOf(problem, shares, template, l, i));
  return { ranks: filled.ranks, beta: found.x, template: found.value, fillSteps: filled.steps };
}

/** Scores computed once, plans for any budget: see {@link lwiqPlanner}. */
export interface LwiqPlanner {
  readonly scores: LwiqScores;
  /** Wall time of the scoring pass (0 when the scores came from the cache), ms. */
  readonly scoreMs: number;
  /** The LWIQ plan and report for `budget` from the same scores: no forward pass. */
  plan(budget: Budget): { plan: FactorizationPlan; report: SelectionReport };
}

/**
 * LWIQ's "one scoring pass serves every budget" as an API: scores `model` once on
 * `context.calibration` ({@link lwiqScores}), then `plan(budget)` maps the same scores to the
 * ranks of any budget (bisection of β + fill: milliseconds, no forward pass). The model's
 * weights must not change between calls (plans are read from them).
 *
 * @throws TnzipError INVALID_ARGUMENT (no calibration, bad options); `plan` also INVALID_BUDGET
 */
export async function lwiqPlanner(
  model: Module,
  context: SelectionContext,
  options: LwiqOptions = {},
): Promise<LwiqPlanner> {
  const opts: LwiqOptions = { format: 'tt', minRank: 2, template: 'bond', ...options };
  const template = opts.template as LwiqTemplate;
  if (template !== 'bond' && template !== 'layer')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.template must be 'bond' or 'layer', got ${JSON.stringify(template)}`,
    );
  // The rank problem reads the weights synchronously: cache them on the CPU first (webgpu).
  await cacheOnCpu(model);
  const runs = lwiqScoreComputations();
  const scores = await lwiqScores(model, context.calibration, opts);
  const cached = lwiqScoreComputations() === runs;
  const scoreMs = cached ? 0 : scores.ms;
  return {
    scores,
    scoreMs,
    plan(budget: Budget) {
      const problem = rankProblem(model, budget, context, opts);
      checkFeasible(problem, 'lwiq');
      const started = now();
      const shares = sharesOf(problem, scores);
      const t = templateToBudget(problem, shares, template);
      const byPath = new Map(scores.layers.map((s) => [s.path, s]));
      const significance: Record<string, { accuracy: number; gain: number; share: number }> = {};
      problem.spaces.forEach((s, l) => {
        const e = byPath.get(s.path);
        if (e !== undefined) significance[s.path] = { accuracy: e.accuracy, gain: e.gain, share: shares[l] as number };
      });
      return finishSelection(model, problem, t.ranks, context, 'lwiq', started, {
        beta: t.beta,
        templateRule: template,
        fillSteps: t.fillSteps,
        template: ranksByLayer(problem, t.template),
        significance,
        proxyAccuracy: scores.layers.map((s) => ({ path: s.path, accuracy: s.accuracy })),
        pool: opts.pool ?? 1,
        scoreMs,
        scoresCached: cached,
      });
    },
  };
}

/**
 * LWIQ (Layer-Wise Imprinting Quantitation, arXiv 2408.01534) as a {@link RankSelector}, in the
 * [P] reconstruction of papers.md §2.2: significance scores from an imprinting proxy classifier
 * ({@link lwiqScores}, computed once per model and calibration set and cached, so a new budget
 * costs only the bisection), normalized over the compressed layers to shares `p_l`; the scaling
 * factor β bisected so that the rank template {@link LwiqTemplate} (default per bond) meets the
 * budget; the remainder spent one rank at a time ({@link templateToBudget}). Default format TT
 * (`TTConv2d` / `TTLinear`). The same as `(await lwiqPlanner(model, context, options)).plan(budget)`.
 *
 * Report: `searchMs` is the bisection + fill alone; `details.scoreMs` the scoring (0 when served
 * from the cache, with `details.scoresCached`), `details.beta`, `details.significance`
 * (per layer: proxy accuracy, gain, share). Needs `context.calibration`.
 */
export function lwiqSelector(options: LwiqOptions = {}): RankSelector {
  return {
    name: 'lwiq',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      // Budget and options checked before the forward passes.
      await cacheOnCpu(model);
      checkFeasible(rankProblem(model, budget, context, { format: 'tt', minRank: 2, ...options }), 'lwiq');
      return (await lwiqPlanner(model, context, options)).plan(budget);
    },
  };
}
