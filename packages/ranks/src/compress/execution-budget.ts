import type { Execution } from '@tnzip/layers';
import type { Budget } from '../budget.js';
import type { SelectionReport } from '../selector.js';

/**
 * Which executions a budget permits for each planned layer, from the selection report: the
 * reconstructed kernel keeps the factorized storage (params) but costs the dense MACs; keeping
 * the layer dense costs both dense figures. An execution is permitted when the plan with that
 * one layer changed still meets a params or MACs budget (by the budget's scope); a latency
 * budget permits every execution (its plan was priced at each layer's fastest).
 */
export function executionAllowance(report: SelectionReport, budget: Budget): (path: string, e: Execution) => boolean {
  if (budget.metric !== 'params' && budget.metric !== 'macs') return () => true;
  const m = budget.metric;
  const model = budget.scope === 'model';
  const dense = model ? report.model.dense[m] : report.dense[m];
  const planned = model ? report.model.planned[m] : report.planned[m];
  const limit = budget.target * dense * (1 + 1e-9);
  return (path, e) => {
    if (e === 'factorized') return true;
    const row = report.layers.find((l) => l.layer === path);
    if (row === undefined) return false;
    const now = m === 'params' ? row.params : row.macs;
    const denseCost = m === 'params' ? row.denseParams : row.denseMacs;
    const cost = e === 'reconstructed' && m === 'params' ? row.params : denseCost;
    return planned - now + cost <= limit;
  };
}

/**
 * Whether the whole-model check after the execution choice may make planned layers dense (see
 * `optimizeExecutions`): not under a latency budget, whose plan was priced per layer by measured
 * time — a model made dense would no longer meet it — and yes under every other budget.
 */
export function denseFallbackAfterChoice(budget: Budget): boolean {
  return budget.metric !== 'latency';
}
