import type { Cost, Module, Shape } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { checkLatencyBudget } from './latency-budget.js';

/** What the selectors can plan for today: trainable parameters or multiply-accumulates per example. */
export type CostMetric = 'params' | 'macs';

/**
 * What a budget limits. `'storage'` (bytes of weight data) and `'latency'` (measured on the
 * target backend) are reserved for the quantization and latency work: {@link checkBudget}
 * rejects them until a selector plans for them.
 */
export type BudgetMetric = CostMetric | 'storage' | 'latency';

/**
 * Over which layers a budget is counted: `'layers'` (default) — the compressible layers only (the
 * layers the selector may factorize); `'model'` — the whole model, the layers left alone included
 * (they keep their dense cost, so the compressible layers get what remains).
 */
export type BudgetScope = 'layers' | 'model';

/**
 * A compression budget: `target` in (0, 1] is the fraction of the dense cost (by `metric`, over
 * `scope`) that may be kept. `{ metric: 'params', target: 0.25 }` = "4x fewer parameters in the
 * compressible layers"; with `scope: 'model'`, "4x fewer parameters in the whole model".
 */
export interface Budget {
  readonly metric: BudgetMetric;
  readonly target: number;
  /** Default `'layers'`. */
  readonly scope?: BudgetScope;
}

/** A budget {@link checkBudget} accepted: its metric is one the selectors plan for. */
export type CheckedBudget = Budget & { readonly metric: CostMetric };

const RESERVED: readonly string[] = ['storage', 'latency'];

/**
 * Throws INVALID_BUDGET unless `budget` has a plannable metric (`'params'` or `'macs'`; the
 * reserved `'storage'` and `'latency'` are named as not supported yet), a target in (0, 1] and a
 * known scope.
 */
export function checkBudget(budget: Budget, name = 'budget'): CheckedBudget {
  if (budget === null || typeof budget !== 'object') {
    throw new TnzipError('INVALID_BUDGET', `${name} must be an object { metric, target, scope? }`);
  }
  if (budget.metric === 'latency')
    throw new TnzipError(
      'INVALID_BUDGET',
      `${name}.metric 'latency' is planned by latencySelector(selector), which wraps a selector`,
    );
  if (RESERVED.includes(budget.metric)) {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${name}.metric '${budget.metric}' is reserved but not supported yet: no selector plans for it (use 'params' or 'macs')`,
    );
  }
  if (budget.metric !== 'params' && budget.metric !== 'macs') {
    throw new TnzipError('INVALID_BUDGET', `${name}.metric must be 'params' or 'macs', got '${String(budget.metric)}'`);
  }
  const t = budget.target;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1) {
    throw new TnzipError('INVALID_BUDGET', `${name}.target must be a number in (0, 1], got ${String(t)}`);
  }
  if (budget.scope !== undefined && budget.scope !== 'layers' && budget.scope !== 'model') {
    throw new TnzipError('INVALID_BUDGET', `${name}.scope must be 'layers' or 'model', got '${String(budget.scope)}'`);
  }
  return budget as CheckedBudget;
}

/** `cost` by `metric`. */
export function metricOf(cost: Pick<Cost, 'params' | 'macs'>, metric: CostMetric): number {
  return metric === 'params' ? cost.params : cost.macs;
}

/**
 * The most the compressible layers may cost under `budget`, by its metric: `target · layersDense`
 * for the `'layers'` scope; for `'model'`, `target · modelDense − (modelDense − layersDense)`
 * (the layers left alone keep their dense cost). `layersDense` is the compressible layers' dense
 * cost in the selector's counting.
 *
 * @throws TnzipError INVALID_BUDGET when a whole-model target is below the cost of the layers
 *   left alone
 */
export function budgetLimit(
  model: Module,
  budget: CheckedBudget,
  inputShape: Shape,
  layersDense: number,
  method: string,
): number {
  if ((budget.scope ?? 'layers') === 'layers') return budget.target * layersDense;
  const whole = metricOf(model.cost(inputShape), budget.metric);
  const fixed = whole - layersDense;
  const limit = budget.target * whole - fixed;
  if (!(limit > 0)) {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${method}: budget target ${budget.target} of the whole model's ${budget.metric} is below what the layers left uncompressed cost alone (${(fixed / whole).toPrecision(4)} of the model)`,
    );
  }
  return limit;
}

/**
 * Parses a budget as written on a command line (a `'latency'` budget is checked by
 * `checkLatencyBudget`, every other by {@link checkBudget}): a fraction (`0.25`) or a reduction factor
 * (`4x`, meaning 1/4). Throws INVALID_BUDGET naming `name` and the allowed forms.
 *
 * @example parseBudget('4x', 'macs') → { metric: 'macs', target: 0.25 }
 */
export function parseBudget(
  text: string,
  metric: BudgetMetric = 'params',
  name = '--budget',
  scope?: BudgetScope,
): Budget {
  const s = String(text).trim();
  const factor = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)x$/i.exec(s);
  let target: number;
  if (factor !== null) {
    const f = Number(factor[1]);
    if (!Number.isFinite(f) || f < 1) {
      throw new TnzipError('INVALID_BUDGET', `${name} '${s}': a reduction factor must be >= 1 (e.g. 4x)`);
    }
    target = 1 / f;
  } else if (/^[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?$/i.test(s)) {
    target = Number(s);
  } else {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${name} '${s}' is neither a fraction in (0, 1] (e.g. 0.25) nor a factor (e.g. 4x)`,
    );
  }
  if (!(target > 0 && target <= 1)) {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${name} '${s}' must be a fraction in (0, 1] or a factor >= 1x, got ${target}`,
    );
  }
  const budget: Budget = scope === undefined ? { metric, target } : { metric, target, scope };
  return metric === 'latency' ? checkLatencyBudget(budget, name) : checkBudget(budget, name);
}

/** `'4x'`-style label of a budget, for reports and plots (`'4x params (whole model)'` for the model scope). */
export function formatBudget(budget: Budget): string {
  const f = 1 / budget.target;
  const label = `${Number.isInteger(Math.round(f * 100) / 100) ? Math.round(f) : f.toFixed(2)}x ${budget.metric}`;
  return budget.scope === 'model' ? `${label} (whole model)` : label;
}
