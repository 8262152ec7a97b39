import {
  cacheOnCpu,
  currentTarget,
  type ExecutionTarget,
  type FactorizationPlan,
  type LayerPlan,
  type Module,
  type TimingOptions,
} from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { compressibleLayers } from './compressible.js';
import { now } from './finish.js';
import { checkLatencyBudget } from './latency-budget.js';
import { checkLatencyContext, denseLatency, latencyLimit, latencyMeasure, tableRow } from './latency-dense.js';
import type { LatencyTable } from './latency-table.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/** Options of {@link latencySelector}. */
export interface LatencySelectorOptions {
  /** Batch size the latency is measured and budgeted at. Default 64. */
  readonly batch?: number;
  /** Threads of the active backend (part of the table's key). Default 1. */
  readonly threads?: number;
  /** A table to read and fill (kept across selections and runs). Default: a new one. */
  readonly table?: LatencyTable;
  /** Bisection steps on the inner selector's MACs target. Default 10. */
  readonly steps?: number;
  /** Timing of each table row (interleaved medians). Default warm-up 2, 5 rounds. */
  readonly timing?: TimingOptions;
}

/** What a latency selection adds to its report's `details.latency`. */
export interface LatencyDetails {
  readonly budget: Budget;
  readonly batch: number;
  readonly target: ExecutionTarget;
  /** The inner selector's MACs target that met the budget. */
  readonly macsTarget: number;
  /** Per compressible layer: dense and planned ms (table), and the fastest execution. */
  readonly layers: ReadonlyArray<{ layer: string; denseMs: number; ms: number; execution: string }>;
  /** Σ over the compressible layers, and the whole model (the other layers: their measured share of the dense model, interleaved). */
  readonly layersDenseMs: number;
  readonly layersMs: number;
  readonly modelDenseMs: number;
  readonly modelMs: number;
  /** The most the planned compressible layers may take, ms. */
  readonly limitMs: number;
  /** Ratios planned / dense over the compressible layers and the whole model. */
  readonly achievedLayers: number;
  readonly achievedModel: number;
  readonly tableRows: number;
  readonly measuredRows: number;
}

/**
 * `context` for the inner selector: its `train` (if any) refuses to run, so a selector that trains
 * while selecting (BATUDE) fails at once instead of training the model once per bisection step.
 */
function withoutTraining(context: SelectionContext, name: string): SelectionContext {
  if (context.train === undefined) return context;
  return {
    ...context,
    train: () => {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${name}: a latency budget cannot wrap a selector that trains while it selects (it would train once per bisection step); give it a MACs budget`,
      );
    },
  };
}

/**
 * A latency budget (`{ metric: 'latency', target }`: "`1/target` times faster", measured on the
 * active backend at `batch`) met by any selector that plans for MACs — the HALOC idea: a
 * per-layer latency table ({@link LatencyTable}: each plan's layer timed in its fastest
 * execution, interleaved with the dense layer) prices the plans, and the inner selector's MACs
 * target is bisected (largest target whose plan's Σ layer latency fits). Scope `'layers'`: Σ
 * over the compressible layers ≤ target · their dense Σ; `'model'`: the other layers' measured
 * time (whole dense model − Σ dense layers) counts too. Selectors that train while selecting
 * (BATUDE) cannot be wrapped: each bisection step selects again, so the inner selector's
 * `context.train` throws INVALID_ARGUMENT before any training. A layer whose planned
 * factorization is not faster than its dense layer (by the table) is planned dense. The report
 * is the inner selector's for the chosen plan (before that dense fallback), with `details.latency` ({@link LatencyDetails}) and
 * `achieved*` replaced by the latency ratios.
 *
 * @throws TnzipError INVALID_BUDGET (not a latency budget; a target no plan of the inner
 *   selector reaches), INVALID_ARGUMENT (options, input shape, an inner selector that trains)
 */
export function latencySelector(inner: RankSelector, options: LatencySelectorOptions = {}): RankSelector {
  const m = latencyMeasure(options);
  const { batch, table } = m;
  const steps = options.steps ?? 10;
  if (!Number.isInteger(steps) || steps < 1 || steps > 40)
    throw new TnzipError('INVALID_ARGUMENT', `options.steps must be an integer in [1, 40], got ${String(steps)}`);
  return {
    name: inner.name,
    async select(model: Module, budget: Budget, context: SelectionContext) {
      const lb = checkLatencyBudget(budget);
      checkLatencyContext(context);
      const started = now();
      const target = currentTarget(options.threads ?? 1);
      const layers = compressibleLayers(model, context.inputShape, context.layers);
      const row = tableRow(m, target);
      const before = table.measured;
      const { dense, layersDense, rest } = await denseLatency(model, context.inputShape, layers, row, m);
      // Timing ran the weights on the backend (webgpu keeps no CPU copy after an upload); the inner
      // selector and the plan rows factorize them, which reads them synchronously.
      await cacheOnCpu(model);
      const limit = latencyLimit(lb, rest, layersDense, inner.name);
      // A layer whose factorization is not faster than the dense layer stays dense.
      const priced = async (plan: FactorizationPlan) => {
        const ms: number[] = [];
        const ex: string[] = [];
        const kept: Record<string, LayerPlan> = { ...plan };
        for (const [l, c] of layers.entries()) {
          const r = await row(c, plan[c.path] ?? { kind: 'dense' });
          const slower = r.ms >= (dense[l] as number);
          if (slower && plan[c.path] !== undefined) kept[c.path] = { kind: 'dense' };
          ms.push(slower ? (dense[l] as number) : r.ms);
          ex.push(slower ? 'dense' : r.execution);
        }
        return { ms, ex, plan: kept as FactorizationPlan, total: ms.reduce((a, v) => a + v, 0) };
      };
      type Found = {
        t: number;
        plan: FactorizationPlan;
        report: SelectionReport;
        priced: Awaited<ReturnType<typeof priced>>;
      };
      let found: Found | null = null;
      let least = Number.POSITIVE_INFINITY;
      const innerContext = withoutTraining(context, inner.name);
      const tryAt = async (t: number): Promise<boolean> => {
        let sel: { plan: FactorizationPlan; report: SelectionReport };
        try {
          sel = await inner.select(model, { metric: 'macs', target: t, scope: 'layers' }, innerContext);
        } catch (e) {
          if (e instanceof TnzipError && e.code === 'INVALID_BUDGET') return false;
          throw e;
        }
        const p = await priced(sel.plan);
        least = Math.min(least, p.total);
        if (p.total > limit) return false;
        if (found === null || t > found.t) found = { t, ...sel, plan: p.plan, priced: p };
        return true;
      };
      if (!(await tryAt(1))) {
        let lo = 0;
        let hi = 1;
        for (let i = 0; i < steps; i++) {
          const mid = (lo + hi) / 2;
          if (await tryAt(mid)) lo = mid;
          else hi = mid;
        }
      }
      const f = found as Found | null;
      if (f === null)
        throw new TnzipError(
          'INVALID_BUDGET',
          `${inner.name}: latency target ${lb.target} not reached at batch ${batch}: the fastest plan found takes ${(least / layersDense).toPrecision(3)} of the compressible layers' dense time`,
        );
      const achievedLayers = f.priced.total / layersDense;
      const achievedModel = (rest + f.priced.total) / (rest + layersDense);
      const details: LatencyDetails = {
        budget: lb,
        batch,
        target,
        macsTarget: f.t,
        layers: layers.map((c, l) => ({
          layer: c.path,
          denseMs: dense[l] as number,
          ms: f.priced.ms[l] as number,
          execution: f.priced.ex[l] as string,
        })),
        layersDenseMs: layersDense,
        layersMs: f.priced.total,
        modelDenseMs: rest + layersDense,
        modelMs: rest + f.priced.total,
        limitMs: limit,
        achievedLayers,
        achievedModel,
        tableRows: table.size,
        measuredRows: table.measured - before,
      };
      const report: SelectionReport = {
        ...f.report,
        achieved: (lb.scope ?? 'layers') === 'model' ? achievedModel : achievedLayers,
        achievedLayers,
        achievedModel,
        searchMs: now() - started,
        details: { ...f.report.details, latency: details },
      };
      return { plan: f.plan, report };
    },
  };
}
