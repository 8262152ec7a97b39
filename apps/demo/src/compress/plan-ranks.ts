import type { LayerPlan } from '@tnzip/layers';

/** The ranks a layer plan holds, in the plan's own order (Tucker-2: S then T, a dense plan: none). */
export function planRanks(plan: LayerPlan): number[] {
  switch (plan.kind) {
    case 'dense':
      return [];
    case 'tucker2':
      return [plan.rankS, plan.rankT].filter((r): r is number => r !== null);
    case 'cp':
      return [plan.rank];
    default:
      return [...plan.ranks];
  }
}

/** `tucker2 (12, 20)`, `tt (9, 8, 8)`, `dense`: a plan in a few characters. */
export function describePlan(plan: LayerPlan): string {
  const r = planRanks(plan);
  return r.length === 0 ? plan.kind : `${plan.kind} (${r.join(', ')})`;
}
