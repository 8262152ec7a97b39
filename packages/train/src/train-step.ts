import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, distillationLoss } from './losses.js';
import type { TrainRun } from './train-run.js';

/** What one training step computed (read back as numbers). */
export interface StepOutcome {
  /** 0-based batch index within the epoch. */
  readonly step: number;
  /** Examples in the batch. */
  readonly count: number;
  /** Mean loss of the batch (label smoothing, distillation and hook terms included). */
  readonly loss: number;
  /** Examples whose top logit is the label (training mode). */
  readonly correct: number;
  /** The loss and every gradient are finite. */
  readonly finite: boolean;
  /** Learning rate of the step. */
  readonly lr: number;
}

/** A computed step with its gradients by parameter path, owned by the caller until disposed. */
export interface ComputedStep extends StepOutcome {
  readonly grads: ReadonlyMap<string, tf.Tensor>;
}

/**
 * Forward in training mode and backward on batch `step`: loss = CE (label smoothing) [+ distillation]
 * + Σ hooks' `extraLoss`, and the gradient of every trainable parameter. One read-back per step.
 * Leaves no tensor behind but the returned gradients.
 */
export async function computeStep(run: TrainRun, x: tf.Tensor, y: tf.Tensor1D, step: number): Promise<ComputedStep> {
  const { model, options: o } = run;
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([p, v]) => [v.name, p]));
  const ctx = run.context(step);
  let correct: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(
    () => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
      let loss: tf.Scalar = crossEntropy(logits, y, o.labelSmoothing);
      if (o.distill !== null) {
        const t = o.distill.teacher.apply(x, { training: false }) as tf.Tensor2D;
        const kd = distillationLoss(logits, t, o.distill.temperature);
        loss = tf.add(tf.mul(loss, 1 - o.distill.alpha), tf.mul(kd, o.distill.alpha)) as tf.Scalar;
      }
      for (const h of o.hooks) if (h.extraLoss !== undefined) loss = tf.add(loss, h.extraLoss(ctx)) as tf.Scalar;
      return loss;
    },
    params.map(([, v]) => v),
  );
  const byPath = new Map<string, tf.Tensor>();
  for (const [name, g] of Object.entries(grads)) byPath.set(pathOf.get(name) ?? name, g);
  try {
    const [loss, nCorrect, check] = await readStats(value, correct as unknown as tf.Tensor, byPath);
    const finite = Number.isFinite(loss) && Number.isFinite(check);
    return { step, count: x.shape[0] as number, loss, correct: nCorrect, finite, lr: ctx.lr, grads: byPath };
  } catch (e) {
    tf.dispose([...byPath.values()]);
    throw e;
  } finally {
    tf.dispose([value, ...(correct === null ? [] : [correct as tf.Tensor])]);
  }
}

/**
 * One read per step: the loss, the correct count and a finiteness probe (0·g is NaN iff g has a
 * NaN/Inf). Async: webgpu in Node has no synchronous read; on cpu/wasm the await costs a microtask.
 */
async function readStats(
  value: tf.Scalar,
  correct: tf.Tensor,
  grads: ReadonlyMap<string, tf.Tensor>,
): Promise<[number, number, number]> {
  const probe = tf.tidy(() => {
    let s: tf.Tensor = tf.mul(value, 0);
    for (const g of grads.values()) s = tf.add(s, tf.sum(tf.mul(g, 0)));
    return tf.stack([value, correct, s]);
  });
  try {
    const [loss, nCorrect, check] = await probe.data();
    return [loss as number, nCorrect as number, check as number];
  } finally {
    probe.dispose();
  }
}
