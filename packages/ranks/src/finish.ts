import type { FactorizationPlan, Module } from '@tnzip/layers';
import { planOf, type RankProblem, type RankTable } from './problem.js';
import { selectionReport } from './report.js';
import type { SelectionContext, SelectionReport } from './selector.js';

/** Clock for search times (performance.now where it exists). */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The plan of `ranks` and its report, with the search time measured from `started`. */
export function finishSelection(
  model: Module,
  problem: RankProblem,
  ranks: RankTable,
  context: SelectionContext,
  method: string,
  started: number,
  details: Record<string, unknown>,
): { plan: FactorizationPlan; report: SelectionReport } {
  const plan = planOf(problem, ranks);
  const searchMs = now() - started;
  const report = selectionReport(model, plan, {
    method,
    budget: problem.budget,
    context,
    layers: problem.spaces,
    searchMs,
    details: { format: problem.spaces[0]?.format, ...details },
  });
  return { plan, report };
}

/** `{ path: ranks }` of a rank table, for report details. */
export function ranksByLayer(problem: RankProblem, table: RankTable): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  problem.spaces.forEach((s, l) => {
    out[s.path] = [...(table[l] as readonly number[])];
  });
  return out;
}
