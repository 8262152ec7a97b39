import { cacheOnCpu, type FactorizationPlan, type Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { cumulativeEnergy, energyRank } from './energy.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { type LwiqScoreOptions, type LwiqScores, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { checkFeasible, type RankProblem, type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';
import { layerSpectra } from './spectra.js';

/**
 * LWIQ's rank template ([P], papers.md §2.2 step 5; ours, not the paper's):
 * - `'bond'` (default): every rank i of layer l (every TT bond) is its own bound's share,
 *   `r_{l,i}(β) = clip(round(β·p_l·L·b_{l,i}), r_min, b_{l,i})` — a layer's significance sets the
 *   fraction of each bond's bound it keeps, so a bond of bound 25 and one of bound 400 in two
 *   layers of equal significance keep the same fraction, not the same rank;
 * - `'spectrum'`: every bond keeps the energy fraction `τ_l(β) = 1 − exp(−β·p_l·L)` of its own
 *   unfolding's spectrum (the smallest rank with `Σ_{j≤r} σ_j² ≥ τ_l·Σ_j σ_j²`, as the energy
 *   baseline) — the layer's significance sets how much energy it keeps (the discarded energy
 *   falls exponentially in β·p_l), the bond's spectrum how many ranks that takes; with equal
 *   shares its template is the energy baseline's threshold plan (τ = 1 − exp(−β));
 * - `'layer'` (the historical rule): one rank per layer, `r_l = round(β·p_l·L·max_i b_{l,i})`,
 *   every bond `min(r_l, b_{l,i})` — normalized by the layer's largest bound, so a layer with a
 *   large bound gets large ranks whatever its score.
 */
export type LwiqTemplate = 'bond' | 'layer' | 'spectrum';

/** The templates of {@link LwiqTemplate}. */
export const LWIQ_TEMPLATES: readonly LwiqTemplate[] = ['bond', 'spectrum', 'layer'];

/** Options of {@link lwiqSelector}: the format (default `'tt'`), TT dims, lowest rank (default 2), the template and the scoring. */
export interface LwiqOptions extends RankProblemOptions, LwiqScoreOptions {
  /** Rank template (default `'bond'`; see {@link LwiqTemplate}). */
  readonly template?: LwiqTemplate;
}

/** `p_l·L`, floored so a zero share never divides by zero. */
function levelOf(shares: readonly number[], l: number, layers: number): number {
  return Math.max((shares[l] as number) * layers, 1e-12);
}

/**
 * A template as functions of β: the ranks at β, a β at which every rank is at its bound, and the
 * β at which a bond's rank r+1 is first reached (the fill's order: lowest first).
 */
interface TemplateRule {
  readonly ranksAt: (beta: number) => number[][];
  readonly hi: number;
  readonly reachedAt: (l: number, i: number, r: number) => number;
}

/** `'bond'` and `'layer'`: ranks proportional to β·p_l·L times a bound. */
function linearRule(problem: RankProblem, shares: readonly number[], template: 'bond' | 'layer'): TemplateRule {
  const L = problem.spaces.length;
  const scale = (l: number, i: number): number => {
    const s = problem.spaces[l] as RankProblem['spaces'][number];
    const b = template === 'bond' ? (s.bounds[i] as number) : Math.max(...s.bounds);
    return levelOf(shares, l, L) * b;
  };
  const ranksAt = (beta: number): number[][] =>
    problem.spaces.map((s, l) =>
      s.bounds.map((b, i) =>
        Math.min(b, Math.max((problem.minRanks[l] as number[])[i] as number, Math.round(beta * scale(l, i)))),
      ),
    );
  const hi = Math.max(...problem.spaces.flatMap((s, l) => s.bounds.map((b, i) => (b + 1) / scale(l, i))));
  return { ranksAt, hi, reachedAt: (l, i, r) => (r + 1) / scale(l, i) };
}

/** `'spectrum'`: each bond's energy rank at the layer's threshold `1 − exp(−β·p_l·L)`. */
function spectrumRule(problem: RankProblem, shares: readonly number[]): TemplateRule {
  const L = problem.spaces.length;
  const cums = problem.spaces.map((s) => layerSpectra(s).map(cumulativeEnergy));
  const ranksAt = (beta: number): number[][] =>
    cums.map((modes, l) => {
      const tau = -Math.expm1(-beta * levelOf(shares, l, L));
      return modes.map((c, i) =>
        Math.min(c.length, energyRank(c, tau, (problem.minRanks[l] as number[])[i] as number)),
      );
    });
  // At β·p_l·L ≥ 50, τ rounds to 1 in double precision: every rank at its bound.
  const hi = Math.max(...problem.spaces.map((_s, l) => 50 / levelOf(shares, l, L)));
  // Rank r+1 is reached once τ_l exceeds cum[r−1]/total, i.e. at β = −ln(1 − cum[r−1]/total)/(p_l·L).
  const reachedAt = (l: number, i: number, r: number): number => {
    const c = (cums[l] as Float64Array[])[i] as Float64Array;
    const total = c[c.length - 1] as number;
    const kept = r === 0 || total <= 0 ? 0 : (c[r - 1] as number) / total;
    return kept >= 1 ? Number.POSITIVE_INFINITY : -Math.log1p(-kept) / levelOf(shares, l, L);
  };
  return { ranksAt, hi, reachedAt };
}

function ruleOf(problem: RankProblem, shares: readonly number[], template: LwiqTemplate): TemplateRule {
  return template === 'spectrum' ? spectrumRule(problem, shares) : linearRule(problem, shares, template);
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
  return ruleOf(problem, shares, template).ranksAt(beta);
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
  const rule = ruleOf(problem, shares, template);
  const found = bisectBudget({
    lo: 0,
    hi: rule.hi,
    evaluate: rule.ranksAt,
    cost: (r) => totalCost(problem, r),
    limit: problem.limit,
  });
  const filled = fillToBudget(problem, found.value, (l, i, r) => -rule.reachedAt(l, i, r));
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
  if (!LWIQ_TEMPLATES.includes(template))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.template must be one of ${LWIQ_TEMPLATES.join(', ')}, got ${JSON.stringify(template)}`,
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
