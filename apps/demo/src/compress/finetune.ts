import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tnzip/layers';

/** Options of {@link finetune}. */
export interface FinetuneOptions {
  readonly steps: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Called after each step with the steps done. */
  readonly onStep?: (done: number, loss: number) => void;
}

/**
 * A few steps of Adam on softmax cross-entropy over `x` (`[n, ...]`, normalized) and `labels`, batches
 * taken in order and wrapping around, every trainable parameter of `model` updated in place. For the
 * page's "fine-tune on the samples" option: a hundred images cannot train a network, only nudge the
 * factorized layers back towards the dense outputs (the accuracy after it is measured on the same
 * images, which the page says). No tensor is left behind.
 */
export async function finetune(
  model: Module,
  x: tf.Tensor,
  labels: tf.Tensor1D,
  options: FinetuneOptions,
): Promise<number> {
  const n = x.shape[0] ?? 0;
  const batch = Math.min(options.batchSize ?? 20, n);
  const vars = model
    .namedParameters()
    .map(([, v]) => v)
    .filter((v) => v.trainable);
  const opt = tf.train.adam(options.learningRate ?? 1e-4);
  const classes = 10;
  let last = Number.NaN;
  try {
    for (let step = 0; step < options.steps; step++) {
      const start = (step * batch) % Math.max(1, n - batch + 1);
      const cost = opt.minimize(
        () =>
          tf.tidy(() => {
            const xb = tf.slice(x, start, batch);
            const yb = tf.oneHot(tf.slice(labels, start, batch), classes);
            const logits = model.apply(xb, { training: true }) as tf.Tensor;
            return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
          }),
        true,
        vars,
      );
      last = cost === null ? Number.NaN : ((await cost.data())[0] ?? Number.NaN);
      cost?.dispose();
      options.onStep?.(step + 1, last);
    }
  } finally {
    opt.dispose();
  }
  return last;
}
