/** One line of `metrics.jsonl` logged every `logEvery` steps. */
export interface StepRecord {
  readonly type: 'step';
  readonly epoch: number;
  /** 0-based step within the epoch. */
  readonly step: number;
  /** Steps completed, including this one. */
  readonly globalStep: number;
  /** Loss of this batch (with label smoothing, distillation and hook terms). */
  readonly loss: number;
  /** Top-1 accuracy on this batch (training mode). */
  readonly accuracy: number;
  readonly lr: number;
  /** Training images per second since the previous step line (timing: varies between runs). */
  readonly imgPerSec: number;
}

/** One line of `metrics.jsonl` per epoch. Accuracies are fractions in [0, 1]. */
export interface EpochRecord {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly globalStep: number;
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  readonly trainLoss: number;
  /** Training top-1 accuracy over the epoch, in training mode, as the weights moved. */
  readonly trainAcc: number;
  /** Learning rate of the epoch's last step. */
  readonly lr: number;
  readonly valAcc?: number;
  readonly valTop5?: number;
  readonly valLoss?: number;
  readonly testAcc?: number;
  readonly testTop5?: number;
  readonly testLoss?: number;
  /** Training images per second over the epoch (timing). */
  readonly imgPerSec: number;
  /** Wall seconds of the epoch in this process, evaluation included (timing). */
  readonly seconds: number;
}

/** A line saying why a run stopped early (e.g. NON_FINITE). */
export interface ErrorRecord {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly epoch: number;
  readonly step: number;
  readonly globalStep: number;
}

/** A line of `metrics.jsonl`. */
export type MetricsRecord = StepRecord | EpochRecord | ErrorRecord;

/** Fields that measure time and so differ between two otherwise identical runs. */
export const TIMING_FIELDS: readonly string[] = ['imgPerSec', 'seconds'];

/** `record` without its {@link TIMING_FIELDS}: what must match between a resumed and an uninterrupted run. */
export function withoutTiming(record: MetricsRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!TIMING_FIELDS.includes(k)) out[k] = v;
  return out;
}
