import { cacheOnCpu, type Module } from '@tnzip/layers';
import { checkInt, checkNumber, checkOneOf, Rng, TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { LWIQ_TEMPLATES, type LwiqTemplate, templateToBudget } from './lwiq-template.js';
import { checkFeasible, planOf, type RankProblemOptions, rankProblem } from './problem.js';
import { truncatedAccuracy } from './proxy-search-accuracy.js';
import type { RankSelector, SelectionContext } from './selector.js';

/** Candidates proxy-search evaluates per budget by default. */
export const PROXY_SEARCH_CANDIDATES = 32;

/** Options of {@link proxySearchSelector}. */
export interface ProxySearchOptions extends RankProblemOptions {
  /** K, the candidate rank configurations evaluated per budget (default {@link PROXY_SEARCH_CANDIDATES}). */
  readonly candidates?: number;
  /** Seed of the candidates (default `context.seed`, else 0). */
  readonly seed?: number;
  /** σ of the log-normal layer shares of the candidates (default 1). */
  readonly spread?: number;
  /** How a candidate's shares become ranks (default `'bond'`, as LWIQ). */
  readonly template?: LwiqTemplate;
  /** Examples per forward pass of the proxy evaluation (default 256). */
  readonly batchSize?: number;
}

/** Log-normal shares `exp(σ·z_l)` normalized to sum 1 (candidate 0: uniform). */
function candidateShares(layers: number, k: number, rng: Rng, spread: number): number[] {
  const raw = Array.from({ length: layers }, () => (k === 0 ? 1 : Math.exp(spread * rng.normal())));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / total);
}

/**
 * Proxy-search ([P], ours): the "proxy-based automatic rank search" LWIQ is compared with
 * (arXiv 2408.01534 names no method; papers.md §2.1), as a selector in its own right. For each
 * budget it draws K candidate rank configurations that meet the budget — candidate k gets
 * seeded log-normal layer shares (candidate 0: equal shares), turned into ranks by LWIQ's
 * template, β bisected to the budget and the remainder filled (`templateToBudget`, so every
 * candidate spends the budget within one rank step) — and scores each by its proxy accuracy
 * after truncation: the model's own top-1 accuracy on `context.calibration` (the data LWIQ
 * scores on) with every planned layer replaced by its factorization's reconstruction
 * ({@link truncatedAccuracy}); the best candidate wins (ties: the earlier). Candidates that land
 * on the same ranks are evaluated once. Default format TT, as LWIQ.
 *
 * Report: `searchMs` is the whole search (candidates + truncations + forward passes), comparable
 * to LWIQ's `details.scoreMs + searchMs`; `details.candidates` (K), `details.evaluated` (distinct
 * configurations run), `details.accuracy` (the winner's), `details.accuracies` (every
 * candidate's, in draw order), `details.seed`. Needs `context.calibration`.
 *
 * @throws TnzipError INVALID_ARGUMENT (no calibration, bad options), INVALID_BUDGET
 */
export function proxySearchSelector(options: ProxySearchOptions = {}): RankSelector {
  const K = options.candidates ?? PROXY_SEARCH_CANDIDATES;
  const spread = options.spread ?? 1;
  const batchSize = options.batchSize ?? 256;
  const template = checkOneOf(options.template ?? 'bond', 'options.template', LWIQ_TEMPLATES);
  checkInt(K, 'options.candidates', 1, 100_000);
  checkNumber(spread, 'options.spread', 0, 10);
  checkInt(batchSize, 'options.batchSize', 1);
  const opts: RankProblemOptions = { format: 'tt', minRank: 2, ...options };
  return {
    name: 'proxy-search',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      await cacheOnCpu(model);
      const problem = rankProblem(model, budget, context, opts);
      checkFeasible(problem, 'proxy-search');
      const cal = context.calibration;
      if (cal === undefined || cal === null)
        throw new TnzipError('INVALID_ARGUMENT', 'proxy-search: context.calibration { x, y, numClasses } is required');
      const seed = options.seed ?? context.seed ?? 0;
      checkInt(seed, 'options.seed', 0, 0xffffffff);
      const started = now();
      const rng = new Rng(seed);
      const seen = new Map<string, number>();
      const accuracies: number[] = [];
      let best: { ranks: number[][]; accuracy: number; k: number } | null = null;
      for (let k = 0; k < K; k++) {
        const shares = candidateShares(problem.spaces.length, k, rng, spread);
        const { ranks } = templateToBudget(problem, shares, template);
        const key = JSON.stringify(ranks);
        let accuracy = seen.get(key);
        if (accuracy === undefined) {
          accuracy = await truncatedAccuracy(model, planOf(problem, ranks), cal, batchSize);
          seen.set(key, accuracy);
        }
        accuracies.push(accuracy);
        if (best === null || accuracy > best.accuracy) best = { ranks, accuracy, k };
      }
      const win = best as NonNullable<typeof best>;
      return finishSelection(model, problem, win.ranks, context, 'proxy-search', started, {
        candidates: K,
        evaluated: seen.size,
        winner: win.k,
        accuracy: win.accuracy,
        accuracies,
        seed,
        spread,
        templateRule: template,
        ranks: ranksByLayer(problem, win.ranks),
      });
    },
  };
}
