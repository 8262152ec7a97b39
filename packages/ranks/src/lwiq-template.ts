import { bisectBudget } from './bisect.js';
import { cumulativeEnergy, energyRank } from './energy.js';
import { fillToBudget } from './fill.js';
import { type RankProblem, totalCost } from './problem.js';
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
