import type { SelectionReport } from '@tnzip/ranks';

/**
 * Wall seconds of a whole rank search from its selection report: the selector's own `searchMs`
 * plus any scoring it reports apart — LWIQ's `details.scoreMs`, the imprinting pass its planner
 * runs once before the budget's bisection — so LWIQ and proxy-search compare on the same work.
 */
export function searchSecondsOf(report: SelectionReport): number {
  const score = report.details?.scoreMs;
  return (report.searchMs + (typeof score === 'number' && Number.isFinite(score) ? score : 0)) / 1000;
}
