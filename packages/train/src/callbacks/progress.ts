import type { TrainCallback } from '../callback.js';
import type { EpochRecord } from '../metrics.js';
import { rate, type TrainRun } from '../train-run.js';

/** A progress report, emitted after every training step (`phase: 'train'`) and every epoch (`'epoch'`). */
export interface ProgressEvent {
  readonly phase: 'train' | 'epoch';
  readonly epoch: number;
  readonly epochs: number;
  /** Steps of this epoch done (1-based after a step). */
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly globalStep: number;
  readonly totalSteps: number;
  /** Running mean training loss of the epoch. */
  readonly loss: number;
  /** Running training accuracy of the epoch. */
  readonly accuracy: number;
  readonly lr: number;
  readonly imgPerSec: number;
  /** Estimated seconds until training ends (from this process's pace). */
  readonly etaSeconds: number;
  /** At `'epoch'`: the epoch's record. */
  readonly record?: EpochRecord;
}

/** Reports progress to `onProgress` after every step and every epoch, with this process's pace and ETA. */
export function progress(onProgress: (event: ProgressEvent) => void): TrainCallback {
  return {
    afterStep: (run, s) => {
      const { sums, clock } = run;
      onProgress({
        ...position(run),
        phase: 'train',
        epoch: run.epoch,
        step: s.step + 1,
        loss: sums.loss / sums.count,
        accuracy: sums.correct / sums.count,
        lr: s.lr,
        imgPerSec: rate(clock.seenThisEpoch, performance.now() - clock.epochStart),
      });
    },
    onEpochEnd: (run, record) => {
      onProgress({
        ...position(run),
        phase: 'epoch',
        epoch: record.epoch,
        step: run.stepsPerEpoch,
        loss: record.trainLoss,
        accuracy: record.trainAcc,
        lr: record.lr,
        imgPerSec: record.imgPerSec,
        record,
      });
    },
  };
}

function position(
  run: TrainRun,
): Pick<ProgressEvent, 'epochs' | 'stepsPerEpoch' | 'globalStep' | 'totalSteps' | 'etaSeconds'> {
  const { globalStep, totalSteps, clock } = run;
  const done = globalStep - clock.stepsAtStart;
  const etaSeconds = done === 0 ? 0 : ((performance.now() - clock.runStart) / 1000 / done) * (totalSteps - globalStep);
  return { epochs: run.options.epochs, stepsPerEpoch: run.stepsPerEpoch, globalStep, totalSteps, etaSeconds };
}
