import { TnzipError } from '@tnzip/tensor';

/** What a budget limits: trainable parameters or multiply-accumulates per example. */
export type BudgetMetric = 'params' | 'macs';

/**
 * A compression budget: `target` in (0, 1] is the fraction of the dense cost (by `metric`) that
 * the compressible layers may keep. `{ metric: 'params', target: 0.25 }` = "4x fewer parameters
 * in the compressible layers".
 */
export interface Budget {
  readonly metric: BudgetMetric;
  readonly target: number;
}

/** Throws INVALID_BUDGET unless `budget` has a known metric and a target in (0, 1]. */
export function checkBudget(budget: Budget, name = 'budget'): Budget {
  if (budget === null || typeof budget !== 'object') {
    throw new TnzipError('INVALID_BUDGET', `${name} must be an object { metric, target }`);
  }
  if (budget.metric !== 'params' && budget.metric !== 'macs') {
    throw new TnzipError('INVALID_BUDGET', `${name}.metric must be 'params' or 'macs', got '${String(budget.metric)}'`);
  }
  const t = budget.target;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1) {
    throw new TnzipError('INVALID_BUDGET', `${name}.target must be a number in (0, 1], got ${String(t)}`);
  }
  return budget;
}

/**
 * Parses a budget as written on a command line: a fraction (`0.25`) or a reduction factor
 * (`4x`, meaning 1/4). Throws INVALID_BUDGET naming `name` and the allowed forms.
 *
 * @example parseBudget('4x', 'macs') → { metric: 'macs', target: 0.25 }
 */
export function parseBudget(text: string, metric: BudgetMetric = 'params', name = '--budget'): Budget {
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
  return checkBudget({ metric, target }, name);
}

/** `'4x'`-style label of a budget, for reports and plots. */
export function formatBudget(budget: Budget): string {
  const f = 1 / budget.target;
  return `${Number.isInteger(Math.round(f * 100) / 100) ? Math.round(f) : f.toFixed(2)}x ${budget.metric}`;
}
