import { TnzipError } from '@tnzip/tensor';
import type { TrainCallback } from '../callback.js';

/**
 * Stops training before the optimizer update of a step whose loss or gradients hold a NaN/±Inf:
 * logs an `error` line and throws `NON_FINITE` naming the epoch, the step and the last good
 * checkpoint. The weights stay those from before the step.
 */
export function nanGuard(): TrainCallback {
  return {
    beforeUpdate: async (run, s) => {
      if (s.finite) return;
      const { epoch, globalStep, lastCheckpoint } = run;
      const what = Number.isFinite(s.loss) ? 'a gradient' : `the loss (${s.loss})`;
      const message = `training diverged at epoch ${epoch}, step ${s.step} (global step ${globalStep}): ${what} is not finite; the weights are those before this step${lastCheckpoint === null ? '' : ` and '${lastCheckpoint}' is the last good checkpoint`}`;
      await run.log({ type: 'error', code: 'NON_FINITE', message, epoch, step: s.step, globalStep });
      throw new TnzipError('NON_FINITE', message);
    },
  };
}
