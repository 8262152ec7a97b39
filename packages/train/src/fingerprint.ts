import { TnzipError } from '@tnzip/tensor';
import type { JsonValue } from './hooks.js';
import type { TrainRun } from './train-run.js';

/**
 * The options a resumed run must share with the run that wrote the checkpoint: any change would
 * make the resumed run differ from an uninterrupted one (other batches, another schedule, other
 * parameter shapes).
 */
export function runFingerprint(run: TrainRun): Record<string, JsonValue> {
  const o = run.options;
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    trainCount: run.data.train.count,
    optimizer: run.optimizer.config as unknown as JsonValue,
    schedule: o.schedule as unknown as JsonValue,
    warmupSteps: o.warmupSteps,
    labelSmoothing: o.labelSmoothing,
    params: run.model
      .namedParameters()
      .map(([p, v]) => `${p}:${v.shape.join('x')}`)
      .join(','),
  };
}

/** @throws TnzipError `INVALID_ARGUMENT` naming each option that differs from the checkpoint's, with both values. */
export function checkFingerprint(
  saved: Readonly<Record<string, JsonValue>>,
  now: Readonly<Record<string, JsonValue>>,
  file: string,
): void {
  const diff = Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(saved[k]));
  if (diff.length > 0)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `cannot resume from '${file}': it was written with different ${diff.map((k) => `${k} (${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])})`).join(', ')}`,
    );
}
