import type { TrainCallback } from '../callback.js';
import type { TrainHook } from '../hooks.js';

/**
 * Runs the user's {@link TrainHook}s (BATUDE's ADMM among them) at their documented points:
 * `onEpochStart` at epochs that start at their first batch (an epoch resumed mid-way had it called
 * before its checkpoint), `afterStep` after every update, `onEpochEnd` with the epoch's record.
 * `extraLoss` runs inside the step's gradient computation and `state`/`loadState` in the
 * checkpoints, not here.
 */
export function userHooks(hooks: readonly TrainHook[]): TrainCallback {
  return {
    onEpochStart: async (run) => {
      if (run.stepInEpoch !== 0) return;
      for (const h of hooks) await h.onEpochStart?.(run.context(0));
    },
    afterStep: async (run, s) => {
      const ctx = { ...run.context(s.step), lr: s.lr };
      for (const h of hooks) await h.afterStep?.(ctx);
    },
    onEpochEnd: async (run, record) => {
      const ctx = { ...run.context(run.stepsPerEpoch - 1), epoch: record.epoch, lr: record.lr, metrics: record };
      for (const h of hooks) await h.onEpochEnd?.(ctx);
    },
  };
}
