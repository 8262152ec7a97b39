import * as tf from '@tensorflow/tfjs-core';
import { batches, type Normalization, type Split } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { checkInt } from '@tnzip/tensor';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass (default 500). */
  readonly batchSize?: number;
  /** Per-channel normalization of the raw pixels; default `{ mean: [0], std: [1] }`, i.e. pixels/255. */
  readonly normalize?: Normalization | null;
  /** Feed `[N, prod(shape)]` instead of `[N, ...shape]`. */
  readonly flatten?: boolean;
}

/** What {@link evaluate} returns. Accuracies are fractions in [0, 1]. */
export interface EvalResult {
  /** Fraction of examples whose top logit is the label. */
  readonly top1: number;
  /** Fraction whose label is among the 5 highest logits (all of them when K <= 5). */
  readonly top5: number;
  /** Mean cross-entropy (no label smoothing). */
  readonly loss: number;
  readonly count: number;
}

/** Default normalization: raw uint8 pixels to [0, 1]. */
export const UNIT_SCALE: Normalization = { mean: [0], std: [1] };

/**
 * Runs `model` in evaluation mode over `split`, in order. Ties in top-k go to the lower class index.
 * Leaves no tensor behind. Reads results back with `await data()` (one read per batch), so it runs on
 * every backend, webgpu in Node included (which cannot read synchronously).
 */
export async function evaluate(model: Module, split: Split, options: EvaluateOptions = {}): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 500;
  checkInt(batchSize, 'evaluate: batchSize', 1);
  let c1 = 0;
  let c5 = 0;
  let lossSum = 0;
  let n = 0;
  const normalize = options.normalize === undefined ? UNIT_SCALE : options.normalize;
  for (const b of batches(split, { batchSize, shuffle: false, normalize, flatten: options.flatten === true })) {
    try {
      // One async read per batch: the only read path on webgpu in Node, a microtask elsewhere.
      const [z, total] = tf.tidy(() => {
        const logits = model.apply(b.x, { training: false }) as tf.Tensor2D;
        const per = tf.neg(tf.sum(tf.mul(tf.oneHot(b.y, logits.shape[1]), tf.logSoftmax(logits)), 1));
        return [logits, tf.sum(per)] as const;
      });
      const k = z.shape[1];
      let logitsData: Float32Array;
      let lossData: Float32Array;
      let labels: Int32Array;
      try {
        [logitsData, lossData, labels] = (await Promise.all([z.data(), total.data(), b.y.data()])) as [
          Float32Array,
          Float32Array,
          Int32Array,
        ];
      } finally {
        tf.dispose([z, total]);
      }
      for (let i = 0; i < labels.length; i++) {
        const y = labels[i] as number;
        const target = logitsData[i * k + y] as number;
        let above = 0;
        for (let j = 0; j < k; j++) {
          const v = logitsData[i * k + j] as number;
          if (v > target || (v === target && j < y)) above++;
        }
        if (above === 0) c1++;
        if (above < 5) c5++;
      }
      lossSum += lossData[0] as number;
      n += labels.length;
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  return { top1: n === 0 ? 0 : c1 / n, top5: n === 0 ? 0 : c5 / n, loss: n === 0 ? 0 : lossSum / n, count: n };
}
