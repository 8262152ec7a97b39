import type { EpochRecord, MetricsRecord } from './metrics.js';
import type { TrainRun } from './train-run.js';
import type { StepOutcome } from './train-step.js';

/**
 * A part of the training loop that carries its own state, as a PyTorch Lightning callback does:
 * checkpointing, the metrics log, progress, the NaN guard, evaluation and the user's
 * {@link TrainHook}s are each one. `train` calls every callback's method for an event, in the
 * callbacks' order, awaiting each, and the run (counters, model, optimizer) is the shared state
 * they read. All methods are optional.
 */
export interface TrainCallback {
  /** Before the first step of this process; after a resume the run holds the checkpoint's position. */
  onRunStart?(run: TrainRun): void | Promise<void>;
  /** At the start of every epoch, also one resumed mid-way (then `run.stepInEpoch > 0`). */
  onEpochStart?(run: TrainRun): void | Promise<void>;
  /** Gradients computed, optimizer update not yet made: throw to stop without touching the weights. */
  beforeUpdate?(run: TrainRun, step: StepOutcome): void | Promise<void>;
  /** After the update; `run.globalStep` and `run.sums` include this step. */
  afterStep?(run: TrainRun, step: StepOutcome): void | Promise<void>;
  /** Fields this callback adds to the epoch's record (evaluation results), before it is logged. */
  epochFields?(run: TrainRun): Partial<EpochRecord> | Promise<Partial<EpochRecord>>;
  /** After the epoch's record is logged; the run already stands at the start of the next epoch. */
  onEpochEnd?(run: TrainRun, record: EpochRecord): void | Promise<void>;
  /** A metrics line was added to `run.metrics`. */
  onRecord?(run: TrainRun, record: MetricsRecord): void | Promise<void>;
}
