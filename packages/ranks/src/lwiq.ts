import { cacheOnCpu, type FactorizationPlan, type Module } from '@tnzip/layers';
import { checkOneOf, TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { type LwiqScoreOptions, type LwiqScores, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { LWIQ_TEMPLATES, type LwiqTemplate, templateToBudget } from './lwiq-template.js';
import { checkFeasible, type RankProblem, type RankProblemOptions, rankProblem } from './problem.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/** Options of {@link lwiqSelector}: the format (default `'tt'`), TT dims, lowest rank (default 2), the template and the scoring. */
export interface LwiqOptions extends RankProblemOptions, LwiqScoreOptions {
  /** Rank template (default `'bond'`; see {@link LwiqTemplate}). */
  readonly template?: LwiqTemplate;
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
  const template = checkOneOf(opts.template, 'options.template', LWIQ_TEMPLATES);
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
