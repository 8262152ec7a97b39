import type { TrainCallback } from '../callback.js';
import { evaluate } from '../evaluate.js';
import type { EpochRecord } from '../metrics.js';

/** Evaluates `run.data.val` and `run.data.test` (when given) after every epoch, for the epoch's record. */
export function evaluation(): TrainCallback {
  return {
    epochFields: async (run) => {
      const o = run.options;
      const opts = { batchSize: o.evalBatchSize, normalize: o.normalize, flatten: o.flatten };
      const out: { -readonly [K in keyof EpochRecord]?: EpochRecord[K] } = {};
      const { val, test } = run.data;
      if (val !== undefined) {
        const r = await evaluate(run.model, val, { ...opts, name: 'data.val' });
        [out.valAcc, out.valTop5, out.valLoss] = [r.top1, r.top5, r.loss];
      }
      if (test !== undefined) {
        const r = await evaluate(run.model, test, { ...opts, name: 'data.test' });
        [out.testAcc, out.testTop5, out.testLoss] = [r.top1, r.top5, r.loss];
      }
      return out;
    },
  };
}
