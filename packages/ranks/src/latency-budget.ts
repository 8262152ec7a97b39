import { TnzipError } from '@tnzip/tensor';
import type { Budget, BudgetScope } from './budget.js';

/** A budget on measured latency: `target` of the dense latency (at the selector's batch size). */
export type LatencyBudget = Budget & { readonly metric: 'latency' };

/**
 * Throws INVALID_BUDGET unless `budget` is `{ metric: 'latency', target in (0, 1], scope? }`.
 * (The other metrics are checked by `checkBudget`; latency is planned by `latencySelector`.)
 */
export function checkLatencyBudget(budget: Budget, name = 'budget'): LatencyBudget {
  if (budget === null || typeof budget !== 'object' || budget.metric !== 'latency')
    throw new TnzipError('INVALID_BUDGET', `${name}.metric must be 'latency' for a latency budget`);
  const t = budget.target;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1)
    throw new TnzipError('INVALID_BUDGET', `${name}.target must be a number in (0, 1], got ${String(t)}`);
  const scope: BudgetScope | undefined = budget.scope;
  if (scope !== undefined && scope !== 'layers' && scope !== 'model')
    throw new TnzipError('INVALID_BUDGET', `${name}.scope must be 'layers' or 'model', got '${String(scope)}'`);
  return budget as LatencyBudget;
}
