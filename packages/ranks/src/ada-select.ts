import type { FactorizationPlan, LayerPlan, Module } from '@tnzip/layers';
import { balancedDims, checkInt, TnzipError } from '@tnzip/tensor';
import { type AdaDimsRule, type AdjustDimsOptions, autoOrder, checkAdjustDims, separateDims } from './ada-dims.js';
import { greedyRanksRefined, raiseUntil } from './ada-greedy.js';
import {
  type AdaLayer,
  type AdaShape,
  adaLayers,
  adaShape,
  capProgress,
  type RankCapReport,
  rankCapReport,
  shapeError,
} from './ada-layer-model.js';
import { type Budget, budgetLimit, checkBudget } from './budget.js';
import { compressibleLayers } from './compressible.js';
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
  /**
   * The dimension adjustment ({@link AdaDimsRule}): `'auto'` (default) picks, per layer, the
   * reshape with the lower estimated error at the layer's share of the budget; `'mixed'` or
   * `'separate'` for every layer.
   */
  readonly dims?: AdaDimsRule;
  /**
   * The matrix rank each layer's [inputs × outputs] weight must keep, by layer path (integers
   * >= 1). Default: the classifier (the last compressible layer, when it is a Linear) keeps
   * `min(inFeatures, outFeatures)` (its number of classes); the other layers 1. The ranks are
   * first raised until every layer's bound (`adaMatrixRankCap`) reaches this.
   */
  readonly required?: Readonly<Record<string, number>>;
  /**
   * When the budget cannot pay for the `required` ranks: false (default) throws INVALID_BUDGET;
   * true plans anyway and flags the layers (`rankCaps[path].ok === false` in the report).
   */
  readonly allowRankCaps?: boolean;
}

/** Options of {@link scadaSelector}. */
export interface ScadaSelectOptions extends Omit<AdaSelectOptions, 'order' | 'dims'> {
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

function checkBiases(b: unknown): BiasCounting {
  if (b !== 'count' && b !== 'exclude')
    throw new TnzipError('INVALID_ARGUMENT', `options.biases must be 'count' or 'exclude', got ${JSON.stringify(b)}`);
  return b;
}

interface Setup {
  readonly layers: AdaLayer[];
  readonly dense: number;
  readonly limit: number;
  readonly countBias: boolean;
  readonly minRank: number;
  readonly allowCaps: boolean;
}

/** Validates budget, context and options; returns the layers and the parameter limit. */
function setup(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  options: Pick<AdaSelectOptions, 'biases' | 'minRank' | 'required' | 'allowRankCaps'>,
  method: string,
): Setup {
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
  const allowCaps = options.allowRankCaps ?? false;
  if (typeof allowCaps !== 'boolean')
    throw new TnzipError('INVALID_ARGUMENT', `options.allowRankCaps must be a boolean, got ${String(allowCaps)}`);
  const all = compressibleLayers(model, context.inputShape);
  const layers = adaLayers(
    context.layers === undefined ? all : compressibleLayers(model, context.inputShape, context.layers),
    options.required,
    all[all.length - 1]?.path ?? null,
  );
  const dense = layers.reduce((a, l) => a + l.n + (countBias ? l.bias : 0), 0);
  return {
    layers,
    dense,
    limit: budgetLimit(model, checked, context.inputShape, dense, method),
    countBias,
    minRank,
    allowCaps,
  };
}

function infeasible(method: string, budget: Budget, least: number, dense: number, what: string): TnzipError {
  const frac = least / dense;
  return new TnzipError(
    'INVALID_BUDGET',
    `${method}: budget target ${checkBudget(budget).target} (params) is below the smallest plan: ${frac.toPrecision(4)} of the dense parameters (${(1 / frac).toFixed(1)}x) with ${what}`,
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

/** The budget cannot pay for a layer's required matrix rank. */
function capError(method: string, layer: AdaLayer, why: string): TnzipError {
  return new TnzipError(
    'INVALID_BUDGET',
    `${method}: layer '${layer.c.path}' must keep matrix rank ${layer.required} of its [${layer.rows} × ${layer.cols}] weight (options.required; the classifier keeps its classes), but ${why}; raise the budget, change options.dims, or pass allowRankCaps: true to plan with the cap flagged`,
  );
}

/** Floors a set of layers' ranks at their required matrix rank (null: not reachable at any ranks). */
function requiredFloor(
  layers: readonly AdaLayer[],
  bounds: readonly number[],
  start: readonly number[],
  vars: (l: number) => number[],
  cost: (r: readonly number[]) => number,
  capOf: (r: readonly number[], l: number) => { done: boolean; progress: number },
): { ranks: number[]; failed: AdaLayer | null } {
  let r = [...start];
  for (const [l, layer] of layers.entries()) {
    if (layer.required <= 1) continue;
    const up = raiseUntil(bounds, r, vars(l), cost, (x) => capOf(x, l));
    if (up === null) return { ranks: r, failed: layer };
    r = up;
  }
  return { ranks: r, failed: null };
}

/** The per-layer rank problem of ADA-Tucker over the layers' chosen shapes. */
function adaProblem(layers: readonly AdaLayer[], shapes: readonly AdaShape[], countBias: boolean) {
  const off: number[] = [];
  const owner: number[] = [];
  shapes.forEach((s, l) => {
    off.push(owner.length);
    for (let i = 0; i < s.dims.length; i++) owner.push(l);
  });
  const bounds = shapes.flatMap((s) => s.dims);
  const slice = (r: readonly number[], l: number): number[] =>
    r.slice(off[l], (off[l] as number) + (shapes[l] as AdaShape).dims.length);
  const layerCost = (r: readonly number[], l: number): number =>
    adaParams((shapes[l] as AdaShape).dims, slice(r, l)) + (countBias ? (layers[l] as AdaLayer).bias : 0);
  const cost = (r: readonly number[]): number => layers.reduce((a, _, l) => a + layerCost(r, l), 0);
  const gain = (r: readonly number[], k: number): number => {
    const l = owner[k] as number;
    const t = (shapes[l] as AdaShape).tails[k - (off[l] as number)] as Float64Array;
    const rk = r[k] as number;
    return (t[rk] as number) - (t[rk + 1] as number);
  };
  const vars = (l: number): number[] =>
    Array.from({ length: (shapes[l] as AdaShape).dims.length }, (_, i) => (off[l] as number) + i);
  const capOf = (r: readonly number[], l: number) =>
    capProgress(layers[l] as AdaLayer, (shapes[l] as AdaShape).dims, slice(r, l));
  return { bounds, slice, cost, gain, vars, capOf };
}

/** Plans ADA ranks for `shapes`: the required floor, then greedy growth to `limit`. */
function planAdaRanks(
  method: string,
  layers: readonly AdaLayer[],
  shapes: readonly AdaShape[],
  countBias: boolean,
  minRank: number,
  limit: number,
  allowCaps: boolean,
) {
  const p = adaProblem(layers, shapes, countBias);
  const low = p.bounds.map((m) => Math.min(minRank, m));
  const floor = requiredFloor(layers, p.bounds, low, p.vars, p.cost, p.capOf);
  let start = floor.ranks;
  if (floor.failed !== null && !allowCaps) throw capError(method, floor.failed, 'no ranks of its dims reach it');
  if (p.cost(start) > limit && p.cost(low) <= limit) {
    const over = layers.find((l) => l.required > 1) as AdaLayer;
    if (!allowCaps) throw capError(method, over, `that needs ${p.cost(start)} parameters, the budget allows ${limit}`);
    start = low;
  }
  const found = greedyRanksRefined({ bounds: p.bounds, cost: p.cost, gain: p.gain, limit }, start, start);
  return { ...found, least: p.cost(low), ranksOf: (l: number) => p.slice(found.ranks, l) };
}

/**
 * The reshape of one layer under `rule`. 'auto' (the cheap criterion, our reconstruction [P]):
 * plan the layer alone at its share of the budget (`target × its dense size`) on each candidate
 * and keep the one with the lower estimated relative error (HOSVD tails); a candidate that
 * cannot keep the layer's required matrix rank loses; ties go to 'separate'. A candidate with a
 * mode above 8·maxDim (a low fixed order) is taken only when the other has one too.
 */
function chooseShape(
  layer: AdaLayer,
  rule: AdaDimsRule,
  o: Required<AdjustDimsOptions>,
  share: number,
  countBias: boolean,
  minRank: number,
): { shape: AdaShape; rule: 'mixed' | 'separate' } {
  const mixedDims = (): number[] =>
    balancedDims(layer.n, o.order === 'auto' ? autoOrder(layer.n, o.maxDim, o.pad, o.maxOrder) : o.order, {
      pad: o.pad,
    });
  const sep = separateDims(layer.rows, layer.cols, o);
  if (rule === 'mixed' || sep === null) return { shape: adaShape(layer, mixedDims()), rule: 'mixed' };
  if (rule === 'separate') return { shape: adaShape(layer, sep.dims), rule: 'separate' };
  const mDims = mixedDims();
  const big = (d: readonly number[]): boolean => Math.max(...d) > 8 * o.maxDim;
  // A candidate with a mode above 8·maxDim (a low fixed order) is taken only when both are.
  if (big(sep.dims) && !big(mDims)) return { shape: adaShape(layer, mDims), rule: 'mixed' };
  if (big(mDims) && !big(sep.dims)) return { shape: adaShape(layer, sep.dims), rule: 'separate' };
  const separate = adaShape(layer, sep.dims);
  const score = (s: AdaShape): number => {
    try {
      const r = planAdaRanks('ada', [layer], [s], countBias, minRank, share, false);
      return shapeError(s, r.ranks);
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  const m = adaShape(layer, mDims);
  return score(separate) <= score(m) ? { shape: separate, rule: 'separate' } : { shape: m, rule: 'mixed' };
}

function checkDimsRule(rule: unknown): AdaDimsRule {
  if (rule !== 'auto' && rule !== 'mixed' && rule !== 'separate')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.dims must be 'auto', 'mixed' or 'separate', got ${JSON.stringify(rule)}`,
    );
  return rule;
}

/** The report's rank caps; throws when a layer is capped below its requirement and caps are not allowed. */
function capsOf(
  method: string,
  layers: readonly AdaLayer[],
  dims: (l: number) => readonly number[],
  ranks: (l: number) => readonly number[],
  allowCaps: boolean,
): Record<string, RankCapReport> {
  const caps = layers.map((l, i) => rankCapReport(l, dims(i), ranks(i)));
  const bad = caps.findIndex((c) => !c.ok);
  if (bad >= 0 && !allowCaps)
    throw capError(method, layers[bad] as AdaLayer, `the plan caps it at ${(caps[bad] as RankCapReport).cap}`);
  return Object.fromEntries(layers.map((l, i) => [l.c.path, caps[i] as RankCapReport]));
}

/**
 * ADA-Tucker rank selection (Zhong et al. 2019; the search is our reconstruction, papers.md
 * §3.2 [P], ranks README "ADA"). Every compressible layer — the first conv and the classifier
 * included — is reshaped by the dimension adjustment (`options.dims`: input/output-separated or
 * mixed balanced dims, order `options.order` or per layer the smallest with every mode ≤
 * `maxDim`) and gets its own core rank per mode, `ranks_l = [r_{l,1}, …, r_{l,d}]`, costing
 * `Π r + Σ m_i·r_i` (+ bias).
 *
 * The ranks start at `minRank`, are raised until every layer's [inputs × outputs] matrix-rank
 * bound (`adaMatrixRankCap`) reaches what it must keep (`options.required`; the classifier keeps
 * its number of classes), then grow greedily: one mode rank +1 at a time, the step with the
 * largest drop of the estimated error (each layer's HOSVD tail energy `Σ_{k ≥ r_i} σ²_{i,k} / ‖W‖²`,
 * from the spectra of the reshaped pretrained weight) per added parameter, while it fits. The
 * result is within the cheapest remaining step (a few parameters) of the budget.
 *
 * Report details: `orders`, `dims`, `dimsRule`, `ranks` (per layer, per mode),
 * `estimatedError` (relative Frobenius bound of the HOSVD truncation), `rankCaps`
 * ({@link RankCapReport} per layer), `fillSteps`, `biases`, `limit`, `cost` (selector's counting).
 *
 * @throws TnzipError INVALID_BUDGET (bad budget, a MACs budget, a budget below every rank at
 *   `minRank`, a budget or dims that cannot keep a required matrix rank unless
 *   `allowRankCaps`), INVALID_ARGUMENT (bad options or context)
 */
export function adaSelector(options: AdaSelectOptions = {}): RankSelector {
  const dimsOptions = checkAdjustDims(options);
  const rule = checkDimsRule(options.dims ?? 'auto');
  return {
    name: 'ada',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const { layers, dense, limit, countBias, minRank, allowCaps } = setup(model, budget, context, options, 'ada');
      // The params budget planned (a 'storage' budget converted): each layer's share of it.
      const target = checkBudget(budget).target;
      const chosen = layers.map((l) =>
        chooseShape(l, rule, dimsOptions, target * (l.n + (countBias ? l.bias : 0)), countBias, minRank),
      );
      const shapes = chosen.map((c) => c.shape);
      const p = adaProblem(layers, shapes, countBias);
      const least = p.cost(p.bounds.map((m) => Math.min(minRank, m)));
      if (least > limit) throw infeasible('ada', budget, least, dense, `every core rank at ${minRank}`);
      const found = planAdaRanks('ada', layers, shapes, countBias, minRank, limit, allowCaps);
      const dimsOf = (i: number): number[] => (shapes[i] as AdaShape).dims;
      const rankCaps = capsOf('ada', layers, dimsOf, found.ranksOf, allowCaps);
      const plan: Record<string, LayerPlan> = {};
      layers.forEach((l, i) => {
        plan[l.c.path] = { kind: 'ada-tucker', dims: [...dimsOf(i)], ranks: found.ranksOf(i) };
      });
      const byLayer = <T>(f: (i: number) => T): Record<string, T> =>
        Object.fromEntries(layers.map((l, i) => [l.c.path, f(i)]));
      return finish(model, plan, 'ada', budget, context, layers, started, {
        orders: byLayer((i) => dimsOf(i).length),
        dims: byLayer((i) => [...dimsOf(i)]),
        dimsRule: byLayer((i) => (chosen[i] as { rule: string }).rule),
        ranks: byLayer((i) => found.ranksOf(i)),
        estimatedError: byLayer((i) => Math.sqrt(shapeError(shapes[i] as AdaShape, found.ranksOf(i)))),
        rankCaps,
        fillSteps: found.steps,
        biases: countBias ? 'count' : 'exclude',
        limit,
        cost: found.cost,
      });
    },
  };
}

/** SCADA at one order d: base dims, shared-rank problem, and its plan (null when it does not fit). */
function scadaAtOrder(d: number, s: Setup, pad: boolean) {
  const { layers, countBias, minRank, limit, allowCaps } = s;
  const biasTotal = countBias ? layers.reduce((a, l) => a + l.bias, 0) : 0;
  const base = layers.map((l) => balancedDims(l.n, d, { pad }));
  const shapes = layers.map((l, i) => adaShape(l, base[i] as number[]));
  const bounds = Array.from({ length: d }, (_, i) => Math.max(...base.map((m) => m[i] as number)));
  const dimsAt = (l: number, r: readonly number[]): number[] =>
    (base[l] as number[]).map((m, i) => Math.max(m, r[i] as number));
  const cost = (r: readonly number[]): number =>
    r.reduce((a, v) => a * v, 1) +
    biasTotal +
    layers.reduce((a, _, l) => a + dimsAt(l, r).reduce((t, m, i) => t + m * (r[i] as number), 0) + 1, 0);
  const gain = (r: readonly number[], k: number): number =>
    shapes.reduce((a, sh, l) => {
      const rk = r[k] as number;
      if (rk >= ((base[l] as number[])[k] as number)) return a;
      const t = sh.tails[k] as Float64Array;
      return a + (t[rk] as number) - (t[rk + 1] as number);
    }, 0);
  const low = bounds.map((b) => Math.min(minRank, b));
  const all = Array.from({ length: d }, (_, i) => i);
  const capOf = (r: readonly number[], l: number) => capProgress(layers[l] as AdaLayer, dimsAt(l, r), r);
  const floor = requiredFloor(layers, bounds, low, () => all, cost, capOf);
  const least = cost(low);
  const capped = floor.failed !== null || cost(floor.ranks) > limit;
  const start = capped ? low : floor.ranks;
  const fits = cost(start) <= limit && (!capped || allowCaps);
  const found = fits ? greedyRanksRefined({ bounds, cost, gain, limit }, start, start) : null;
  const error =
    found === null ? Number.POSITIVE_INFINITY : shapes.reduce((a, sh) => a + shapeError(sh, found.ranks), 0);
  return { d, least, capped, found, error, dimsAt, bounds, floor };
}

/**
 * SCADA-Tucker rank selection (Zhong et al. 2019: one core shared by all layers; the rest is our
 * reconstruction, papers.md §3.2 [P]). One order d for every compressible layer, base dims
 * `balancedDims(n_l, d, { pad })` (mixed: the shared modes cannot follow each layer's
 * input/output split), one shared core `[r_1, …, r_d]` with per-mode ranks chosen jointly, and
 * per layer d factors `[m_{l,i}, r_i]` and a scalar scale. A layer whose mode is smaller than
 * r_i is zero-padded up to it (`m_{l,i}(r) = max(base_{l,i}, r_i)`). Cost:
 * `Π r_i + Σ_l (Σ_i m_{l,i}(r)·r_i + 1)` (+ biases).
 *
 * The shared ranks start at `minRank`, are raised until every required layer's matrix-rank
 * bound reaches its requirement (as in {@link adaSelector}), then grow greedily one mode at a
 * time by the summed drop of the layers' estimated relative errors per added parameter.
 * `order`: a number, `'auto'` (the largest of the layers' 'auto' orders) or `'fill'` (default:
 * every d in [2, maxOrder] whose modes all stay ≤ 8·maxDim, keeping, among the plans that use
 * at least 95 % of the budget (else among all), the one with the lowest summed estimated error;
 * ties: the smaller d).
 *
 * Report details: `order`, `ranks` (the shared core's), `rankBounds`, `dims` (per layer),
 * `estimatedError` (summed relative squared), `rankCaps`, `group`, `biases`, `limit`, `cost`.
 *
 * @throws TnzipError INVALID_BUDGET (bad budget, a MACs budget, a budget below every rank at
 *   minRank for every order tried, a required matrix rank the budget cannot keep unless
 *   `allowRankCaps`), INVALID_ARGUMENT (bad options, context or group name)
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
      const s = setup(model, budget, context, options, 'scada');
      const { layers, dense, limit, countBias, allowCaps } = s;
      let orders: number[];
      if (order === 'fill') orders = Array.from({ length: Math.max(1, dimsOptions.maxOrder - 1) }, (_, i) => i + 2);
      else if (dimsOptions.order === 'auto')
        orders = [
          Math.max(...layers.map((l) => autoOrder(l.n, dimsOptions.maxDim, dimsOptions.pad, dimsOptions.maxOrder))),
        ];
      else orders = [dimsOptions.order];
      if (order === 'fill') {
        // Orders whose modes stay within 8·maxDim: a shared core of huge modes is never the best
        // plan under a compressing budget, and their spectra (m × m eigenproblems) cost the most.
        const small = orders.filter((d) =>
          layers.every((l) => (balancedDims(l.n, d, { pad: dimsOptions.pad })[0] as number) <= 8 * dimsOptions.maxDim),
        );
        if (small.length > 0) orders = small;
      }
      const tried = orders.map((d) => scadaAtOrder(d, s, dimsOptions.pad));
      let best: (typeof tried)[number] | null = null;
      // Lowest estimated error among the orders whose plan uses ≥ 95 % of the budget, else among all.
      const near = (t: (typeof tried)[number]): boolean => t.found !== null && t.found.cost >= 0.95 * limit;
      const pool = tried.some(near) ? tried.filter(near) : tried;
      for (const t of pool) if (t.found !== null && (best === null || t.error < best.error)) best = t;
      if (best === null || best.found === null) {
        const leastAll = Math.min(...tried.map((t) => t.least));
        const capped = tried.find((t) => t.least <= limit && t.capped);
        if (capped !== undefined) {
          const layer = capped.floor.failed ?? (layers.find((l) => l.required > 1) as AdaLayer);
          throw capError(
            'scada',
            layer,
            `no order tried keeps it within the budget (a shared core of ${capped.d} modes)`,
          );
        }
        throw infeasible(
          'scada',
          budget,
          leastAll,
          dense,
          `the shared core rank at ${s.minRank} for every order tried`,
        );
      }
      const { d, dimsAt, bounds } = best;
      const r = best.found.ranks;
      const rankCaps = capsOf(
        'scada',
        layers,
        (l) => dimsAt(l, r),
        () => r,
        allowCaps,
      );
      const plan: Record<string, LayerPlan> = {};
      layers.forEach((l, i) => {
        plan[l.c.path] = { kind: 'scada-tucker', dims: dimsAt(i, r), ranks: [...r], group };
      });
      return finish(model, plan, 'scada', budget, context, layers, started, {
        order: d,
        ranks: [...r],
        rankBounds: bounds,
        dims: Object.fromEntries(layers.map((l, i) => [l.c.path, dimsAt(i, r)])),
        estimatedError: best.error,
        rankCaps,
        group,
        biases: countBias ? 'count' : 'exclude',
        limit,
        cost: best.found.cost,
      });
    },
  };
}
