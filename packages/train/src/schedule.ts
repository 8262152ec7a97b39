import { checkInt, checkNumber, TnzipError } from '@tnzip/tensor';

/**
 * Learning-rate schedule, evaluated per step (after the warm-up):
 * - `constant`: lr;
 * - `cosine`: minLr + (lr − minLr)·(1 + cos(π·p))/2, p = (step − warmup)/(total − warmup) ∈ [0, 1);
 * - `step`: lr·gamma^k, k = number of `milestones` (in epochs) already reached.
 */
export type ScheduleConfig =
  | { readonly kind: 'constant' }
  | { readonly kind: 'cosine'; readonly minLr?: number }
  | { readonly kind: 'step'; readonly milestones: readonly number[]; readonly gamma?: number };

/** Everything {@link learningRate} needs besides the step. */
export interface LrPlan {
  readonly lr: number;
  readonly schedule: ScheduleConfig;
  /** Linear warm-up: step s < warmupSteps uses lr·(s + 1)/warmupSteps. */
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
}

/** Validates a plan (INVALID_ARGUMENT naming the field). */
export function checkLrPlan(p: LrPlan): void {
  checkNumber(p.lr, 'lr', 0, Number.MAX_VALUE);
  checkInt(p.warmupSteps, 'warmupSteps', 0);
  checkInt(p.totalSteps, 'totalSteps', 1);
  checkInt(p.stepsPerEpoch, 'stepsPerEpoch', 1);
  const s = p.schedule as { kind: unknown };
  if (s.kind === 'cosine') checkNumber((p.schedule as { minLr?: number }).minLr ?? 0, 'schedule.minLr', 0, p.lr);
  else if (s.kind === 'step') {
    const st = p.schedule as { milestones: readonly number[]; gamma?: number };
    if (!Array.isArray(st.milestones))
      throw new TnzipError('INVALID_ARGUMENT', 'schedule.milestones must be an array of epochs');
    st.milestones.forEach((m, i) => {
      checkInt(m, `schedule.milestones[${i}]`, 1);
    });
    checkNumber(st.gamma ?? 0.1, 'schedule.gamma', 0, 1);
  } else if (s.kind !== 'constant') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `schedule.kind must be 'constant', 'cosine' or 'step', got ${JSON.stringify(s.kind)}`,
    );
  }
}

/** The learning rate of global step `step` (0-based). */
export function learningRate(p: LrPlan, step: number): number {
  if (step < p.warmupSteps) return (p.lr * (step + 1)) / p.warmupSteps;
  const s = p.schedule;
  switch (s.kind) {
    case 'constant':
      return p.lr;
    case 'cosine': {
      const min = s.minLr ?? 0;
      const span = Math.max(1, p.totalSteps - p.warmupSteps);
      const q = Math.min(1, (step - p.warmupSteps) / span);
      return min + ((p.lr - min) * (1 + Math.cos(Math.PI * q))) / 2;
    }
    case 'step': {
      const epoch = Math.floor(step / p.stepsPerEpoch);
      const k = s.milestones.filter((m) => epoch >= m).length;
      return p.lr * (s.gamma ?? 0.1) ** k;
    }
  }
}
