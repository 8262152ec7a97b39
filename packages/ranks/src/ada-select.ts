import { Conv2d, type FactorizationPlan, type LayerPlan, type Module } from '@tnzip/layers';
import { balancedDims, checkInt, TnzipError } from '@tnzip/tensor';
import { type AdjustDimsOptions, autoOrder, checkAdjustDims } from './ada-dims.js';
import { bisectBudget } from './bisect.js';
import { type Budget, budgetLimit, checkBudget } from './budget.js';
import { type CompressibleLayer, compressibleLayers } from './compressible.js';
import { now } from './finish.js';
import { selectionReport } from './report.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/** How biases enter the parameter budget of the ADA/SCADA selectors. */
export type BiasCounting = 'count' | 'exclude';

/** Options of {@link adaSelector}. */
export interface AdaSelectOptions extends AdjustDimsOptions {
  /**
   * `'count'` (default, the package's {@link Budget} convention): a layer's dense and planned
   * parameters both include its bias, which ADA keeps dense. `'exclude'`: the budget applies to
   * the weight tensors only (dense `Σ n_l`, planned cores + factors (+ SCADA scales)) — the
   * counting under which the paper's MNIST ratios are reachable at all (LeNet-5's 580 biases
   * alone exceed 1/691 of its parameters). The report's `achieved` always counts biases.
   */
  readonly biases?: BiasCounting;
  /** Lowest core rank (per mode, clamped to the mode size), an integer >= 1. Default 1. */
  readonly minRank?: number;
}

/** Options of {@link scadaSelector}. */
export interface ScadaSelectOptions extends Omit<AdaSelectOptions, 'order'> {
  /**
   * The one order d of every layer: an integer in [1, 16]; `'auto'`: the largest of the layers'
   * 'auto' orders (every mode of every layer ≤ `maxDim`); `'fill'` (default, [P]): the d in
   * [2, maxOrder] whose best plan uses the most of the budget (ties: the smaller d). The shared core
   * `r^d` grows so fast with r that one fixed d often leaves most of a small budget unused
   * (LeNet-300-100 at 233x: d = 7 stops at r = 2 with 28% of the budget).
   */
  readonly order?: number | 'auto' | 'fill';
  /** Name of the one SCADA group (the shared core). Default `'scada'`. */
  readonly group?: string;
}

/** One layer as the ADA/SCADA selectors see it. */
interface AdaLayer {
  readonly c: CompressibleLayer;
  /** Entries of the weight tensor. */
  readonly n: number;
  /** Entries of the bias (0 without one). */
  readonly bias: number;
}

function weightSize(c: CompressibleLayer): number {
  const l = c.layer;
  return l instanceof Conv2d
    ? l.kernelSize[0] * l.kernelSize[1] * l.inChannels * l.outChannels
    : l.inFeatures * l.outFeatures;
}

function checkBiases(b: unknown): BiasCounting {
  if (b !== 'count' && b !== 'exclude')
    throw new TnzipError('INVALID_ARGUMENT', `options.biases must be 'count' or 'exclude', got ${JSON.stringify(b)}`);
  return b;
}

/** Validates budget, context and options; returns the layers and the parameter limit. */
function setup(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  options: Pick<AdaSelectOptions, 'biases' | 'minRank'>,
  method: string,
): { layers: AdaLayer[]; dense: number; limit: number; countBias: boolean; minRank: number } {
  const checked = checkBudget(budget);
  if (checked.metric !== 'params') {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${method}: budget.metric must be 'params' — ADA/SCADA-Tucker compress storage only (the layer runs the dense op on the rebuilt weight, so MACs do not change)`,
    );
  }
  if (context === null || typeof context !== 'object' || !Array.isArray(context.inputShape)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'context.inputShape must be the input shape of one example (no batch axis), e.g. [28, 28, 1]',
    );
  }
  const countBias = checkBiases(options.biases ?? 'count') === 'count';
  const minRank = options.minRank ?? 1;
  checkInt(minRank, 'options.minRank', 1);
  const layers = compressibleLayers(model, context.inputShape, context.layers).map((c) => ({
    c,
    n: weightSize(c),
    bias: c.layer.bias === null ? 0 : c.layer.bias.size,
  }));
  const dense = layers.reduce((a, l) => a + l.n + (countBias ? l.bias : 0), 0);
  return { layers, dense, limit: budgetLimit(model, checked, context.inputShape, dense, method), countBias, minRank };
}

function infeasible(method: string, budget: Budget, least: number, dense: number, what: string): TnzipError {
  const frac = least / dense;
  return new TnzipError(
    'INVALID_BUDGET',
    `${method}: budget target ${budget.target} (params) is below the smallest plan: ${frac.toPrecision(4)} of the dense parameters (${(1 / frac).toFixed(1)}x) with ${what}`,
  );
}

function finish(
  model: Module,
  plan: FactorizationPlan,
  method: string,
  budget: Budget,
  context: SelectionContext,
  layers: readonly AdaLayer[],
  started: number,
  details: Record<string, unknown>,
): { plan: FactorizationPlan; report: SelectionReport } {
  const searchMs = now() - started;
  const report = selectionReport(model, plan, {
    method,
    budget,
    context,
    layers: layers.map((l) => l.c),
    searchMs,
    details,
  });
  return { plan, report };
}

/** ADA-Tucker parameters of one layer: `Π r_i + Σ m_i·r_i`. */
function adaParams(dims: readonly number[], ranks: readonly number[]): number {
  let core = 1;
  let factors = 0;
  dims.forEach((m, i) => {
    const r = ranks[i] as number;
    core *= r;
    factors += m * r;
  });
  return core + factors;
}

/**
 * ADA-Tucker rank selection (Zhong et al. 2019; the search is our reconstruction, papers.md
 * §3.2 [P]). Every compressible layer l is reshaped by the dimension adjustment to balanced
 * dims `m_l` (order d_l: `options.order`, or per layer the smallest d with every mode ≤
 * `maxDim`), with a hypercube core of rank r_l capped by the mode sizes:
 * `ranks_l = [min(r_l, m_{l,1}), …]`, costing `Π ranks + Σ m_{l,i}·ranks_i` (+ bias).
 *
 * The ranks follow one global scale x in [0, 1]: `r_l = clamp(round(x·max(m_l)), minRank,
 * max(m_l))`, x bisected (`bisectBudget`) to the largest value whose plan fits; the rest of the
 * budget then goes one hypercube step (r_l → r_l + 1) at a time to the layer lowest in
 * `r_l / max(m_l)`. The result is within one rank step of the budget: raising any single r_l
 * by one exceeds it, or r_l is at `max(m_l)`. Params budgets only (MACs do not change).
 *
 * Report details: `orders`, `dims`, `ranks` (per layer), `scale` (x), `fillSteps`, `biases`,
 * `limit`, `cost` (in the selector's counting).
 *
 * @throws TnzipError INVALID_BUDGET (bad budget, a MACs budget, a budget below every rank at
 *   `minRank`), INVALID_ARGUMENT (bad options or context)
 */
export function adaSelector(options: AdaSelectOptions = {}): RankSelector {
  const dimsOptions = checkAdjustDims(options);
  return {
    name: 'ada',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const { layers, dense, limit, countBias, minRank } = setup(model, budget, context, options, 'ada');
      const dims = layers.map((l) =>
        balancedDims(
          l.n,
          dimsOptions.order === 'auto'
            ? autoOrder(l.n, dimsOptions.maxDim, dimsOptions.pad, dimsOptions.maxOrder)
            : dimsOptions.order,
          { pad: dimsOptions.pad },
        ),
      );
      const top = dims.map((m) => m[0] as number);
      const low = top.map((t) => Math.min(minRank, t));
      const ranksOf = (l: number, r: number): number[] => (dims[l] as number[]).map((m) => Math.min(m, r));
      const layerCost = (l: number, r: number): number =>
        adaParams(dims[l] as number[], ranksOf(l, r)) + (countBias ? (layers[l] as AdaLayer).bias : 0);
      const total = (rs: readonly number[]): number => rs.reduce((a, r, l) => a + layerCost(l, r), 0);
      const least = total(low);
      if (least > limit) throw infeasible('ada', budget, least, dense, `every core rank at ${minRank}`);
      const found = bisectBudget({
        lo: 0,
        hi: 1,
        evaluate: (x) => top.map((t, l) => Math.min(t, Math.max(low[l] as number, Math.round(x * t)))),
        cost: total,
        limit,
      });
      const rs = [...found.value];
      let cost = found.cost;
      const closed = rs.map((r, l) => r >= (top[l] as number));
      let steps = 0;
      for (;;) {
        let pick = -1;
        let pickCost = 0;
        rs.forEach((r, l) => {
          if (closed[l] === true) return;
          const c = cost - layerCost(l, r) + layerCost(l, r + 1);
          // Costs grow with r, so a step that does not fit now never will.
          if (c > limit) {
            closed[l] = true;
            return;
          }
          if (pick < 0 || r / (top[l] as number) < (rs[pick] as number) / (top[pick] as number)) {
            pick = l;
            pickCost = c;
          }
        });
        if (pick < 0) break;
        rs[pick] = (rs[pick] as number) + 1;
        cost = pickCost;
        if ((rs[pick] as number) >= (top[pick] as number)) closed[pick] = true;
        steps++;
      }
      const plan: Record<string, LayerPlan> = {};
      layers.forEach((l, i) => {
        plan[l.c.path] = { kind: 'ada-tucker', dims: [...(dims[i] as number[])], ranks: ranksOf(i, rs[i] as number) };
      });
      const byLayer = <T>(f: (i: number) => T): Record<string, T> =>
        Object.fromEntries(layers.map((l, i) => [l.c.path, f(i)]));
      return finish(model, plan, 'ada', budget, context, layers, started, {
        orders: byLayer((i) => (dims[i] as number[]).length),
        dims: byLayer((i) => [...(dims[i] as number[])]),
        ranks: byLayer((i) => rs[i] as number),
        scale: found.x,
        fillSteps: steps,
        biases: countBias ? 'count' : 'exclude',
        limit,
        cost,
      });
    },
  };
}

/**
 * SCADA-Tucker rank selection (Zhong et al. 2019: one core shared by all layers; the rest is our
 * reconstruction, papers.md §3.2 [P]). One order d for every compressible layer (`options.order`,
 * or the largest of the layers' 'auto' orders, so that every mode of the largest layer is ≤
 * `maxDim`), base dims `balancedDims(n_l, d, { pad })`, one shared hypercube core `[r]^d` and
 * per layer d factors `[m_{l,i}, r]` and a scalar scale. A layer whose mode is smaller than r
 * is zero-padded up to r in that mode (`m_{l,i}(r) = max(base_{l,i}, r)`), which is why r is
 * not capped by the smallest layer. Cost: `r^d + Σ_l (Σ_i m_{l,i}(r)·r + 1)` (+ biases).
 *
 * r (one integer, bounded by the largest base mode of any layer) is bisected to the largest value
 * that fits: the discrete step is r → r + 1, which changes every layer at once.
 * Report details: `order`, `rank`, `dims` (per layer), `group`, `biases`, `limit`, `cost`.
 *
 * @throws TnzipError INVALID_BUDGET (bad budget, a MACs budget, a budget below r = minRank),
 *   INVALID_ARGUMENT (bad options, context or group name)
 */
export function scadaSelector(options: ScadaSelectOptions = {}): RankSelector {
  const order = options.order ?? 'fill';
  const dimsOptions = checkAdjustDims({ ...options, order: order === 'fill' ? 'auto' : order });
  const group = options.group ?? 'scada';
  if (typeof group !== 'string' || group === '')
    throw new TnzipError('INVALID_ARGUMENT', `options.group must be a non-empty string, got ${JSON.stringify(group)}`);
  return {
    name: 'scada',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const { layers, dense, limit, countBias, minRank } = setup(model, budget, context, options, 'scada');
      const biasTotal = countBias ? layers.reduce((a, l) => a + l.bias, 0) : 0;
      const atOrder = (d: number) => {
        const base = layers.map((l) => balancedDims(l.n, d, { pad: dimsOptions.pad }));
        const rMax = Math.max(...base.map((m) => m[0] as number));
        const dimsAt = (l: number, r: number): number[] => (base[l] as number[]).map((m) => Math.max(m, r));
        const cost = (r: number): number =>
          r ** d + biasTotal + layers.reduce((a, _, l) => a + dimsAt(l, r).reduce((s, m) => s + m * r, 0) + 1, 0);
        const rLow = Math.min(minRank, rMax);
        return { d, rMax, dimsAt, cost, rLow, least: cost(rLow) };
      };
      let orders: number[];
      if (order === 'fill')
        orders = Array.from({ length: Math.max(1, dimsOptions.maxOrder - 1) }, (_, i) =>
          Math.min(i + 2, dimsOptions.maxOrder),
        );
      else if (dimsOptions.order === 'auto')
        orders = [
          Math.max(...layers.map((l) => autoOrder(l.n, dimsOptions.maxDim, dimsOptions.pad, dimsOptions.maxOrder))),
        ];
      else orders = [dimsOptions.order];
      let best: { at: ReturnType<typeof atOrder>; found: ReturnType<typeof bisectBudget<number>> } | null = null;
      let leastAll = Number.POSITIVE_INFINITY;
      for (const d of orders) {
        const at = atOrder(d);
        leastAll = Math.min(leastAll, at.least);
        if (at.least > limit) continue;
        const found = bisectBudget({ lo: at.rLow, hi: at.rMax, evaluate: (x) => Math.floor(x), cost: at.cost, limit });
        if (best === null || found.cost > best.found.cost) best = { at, found };
      }
      if (best === null)
        throw infeasible('scada', budget, leastAll, dense, `the shared core rank at ${minRank} for every order tried`);
      const { at, found } = best;
      const { d, rMax, dimsAt } = at;
      const r = found.value;
      const plan: Record<string, LayerPlan> = {};
      layers.forEach((l, i) => {
        plan[l.c.path] = { kind: 'scada-tucker', dims: dimsAt(i, r), ranks: new Array<number>(d).fill(r), group };
      });
      return finish(model, plan, 'scada', budget, context, layers, started, {
        order: d,
        rank: r,
        rankBound: rMax,
        dims: Object.fromEntries(layers.map((l, i) => [l.c.path, dimsAt(i, r)])),
        group,
        biases: countBias ? 'count' : 'exclude',
        limit,
        cost: found.cost,
      });
    },
  };
}
