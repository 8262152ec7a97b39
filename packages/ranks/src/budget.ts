import {
  bytesPerElement,
  type Cost,
  checkStorage,
  type Module,
  type Shape,
  type StorageEncoding,
  storedElements,
} from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { checkLatencyBudget } from './latency-budget.js';

/** What the selectors can plan for today: trainable parameters or multiply-accumulates per example. */
export type CostMetric = 'params' | 'macs';

/**
 * What a budget limits. `'storage'`: bytes of weight data (weights.bin: stored elements × 4 for
 * float32 or × 1 for uint8, see {@link Budget.storage}), planned exactly as parameters (see
 * {@link checkBudget}). `'latency'`: measured on the target backend, planned by `latencySelector`
 * (which wraps a selector; {@link checkBudget} rejects it).
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
  /**
   * How the compressed model stores its weights (default `'float32'`). With metric `'storage'`
   * the target is a fraction of the dense model's float32 bytes, so `uint8` buys 4x the elements.
   * On a checked budget it marks a `'params'` budget converted from `'storage'`.
   */
  readonly storage?: StorageEncoding;
}

/** A budget {@link checkBudget} accepted: its metric is one the selectors plan for. */
export type CheckedBudget = Budget & { readonly metric: CostMetric };

/**
 * Throws INVALID_BUDGET unless `budget` has a plannable metric (`'params'`, `'macs'` or
 * `'storage'`; `'latency'` is named as planned by `latencySelector`), a target in (0, 1], a
 * known scope and storage encoding. Returns the budget the selectors plan with: a `'storage'`
 * budget becomes the exactly equivalent `'params'` one (bytes = stored elements × bytes per
 * element, every stored element a parameter of the planned layers or a fixed one of the
 * model): `target · 4 / bytesPerElement(storage)`, at most 1, keeping `storage` as the mark
 * ({@link budgetLimit} then counts non-parameter buffers of the whole model too). E.g. 691x
 * storage at uint8 = 172.75x params.
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
  if (budget.metric !== 'params' && budget.metric !== 'macs' && budget.metric !== 'storage') {
    throw new TnzipError(
      'INVALID_BUDGET',
      `${name}.metric must be 'params', 'macs' or 'storage', got '${String(budget.metric)}'`,
    );
  }
  if (budget.storage !== undefined) {
    try {
      checkStorage(budget.storage, `${name}.storage`);
    } catch (e) {
      throw new TnzipError('INVALID_BUDGET', (e as Error).message, { cause: e });
    }
    if (budget.metric === 'macs')
      throw new TnzipError('INVALID_BUDGET', `${name}.storage applies to metric 'storage', not 'macs'`);
  }
  const t = budget.target;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1) {
    throw new TnzipError('INVALID_BUDGET', `${name}.target must be a number in (0, 1], got ${String(t)}`);
  }
  if (budget.scope !== undefined && budget.scope !== 'layers' && budget.scope !== 'model') {
    throw new TnzipError('INVALID_BUDGET', `${name}.scope must be 'layers' or 'model', got '${String(budget.scope)}'`);
  }
  if (budget.metric === 'storage') {
    const storage = budget.storage ?? 'float32';
    return { ...budget, metric: 'params', target: Math.min(1, (t * 4) / bytesPerElement(storage)), storage };
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
  // A storage budget counts every stored element, non-parameter buffers (BatchNorm statistics) too.
  const whole = budget.storage === undefined ? metricOf(model.cost(inputShape), budget.metric) : storedElements(model);
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
 * (`4x`, meaning 1/4). Throws INVALID_BUDGET naming `name` and the allowed forms. `storage`
 * (for metric `'storage'`) is the encoding of the compressed model's weights.
 *
 * @example parseBudget('4x', 'macs') → { metric: 'macs', target: 0.25 }
 * @example parseBudget('691x', 'storage', '--budget', 'model', 'uint8') → { metric: 'storage', target: 1/691, scope: 'model', storage: 'uint8' }
 */
export function parseBudget(
  text: string,
  metric: BudgetMetric = 'params',
  name = '--budget',
  scope?: BudgetScope,
  storage?: StorageEncoding,
): Budget {
  const s = String(text).trim();
  const factor = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)x$/i.exec(s);
  let target: number;
  if (factor !== null) {
    const f = Number(factor[1]);
    if (!Number.isFinite(f) || f < 1) {
      throw new TnzipError(
        'INVALID_BUDGET',
        `${name} '${s}': a reduction factor must be a finite number >= 1 (e.g. 4x)`,
      );
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
  const budget: Budget = {
    metric,
    target,
    ...(scope === undefined ? {} : { scope }),
    ...(storage === undefined || metric !== 'storage' ? {} : { storage }),
  };
  if (metric === 'latency') return checkLatencyBudget(budget, name);
  checkBudget(budget, name);
  return budget;
}

/** `'4x'`-style label of a budget, for reports and plots (`'4x params (whole model)'` for the model scope). */
export function formatBudget(budget: Budget): string {
  const f = 1 / budget.target;
  const unit = budget.metric === 'storage' && budget.storage === 'uint8' ? 'storage (uint8)' : budget.metric;
  const label = `${Number.isInteger(Math.round(f * 100) / 100) ? Math.round(f) : f.toFixed(2)}x ${unit}`;
  return budget.scope === 'model' ? `${label} (whole model)` : label;
}
