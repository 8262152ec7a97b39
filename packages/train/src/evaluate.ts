import * as tf from '@tensorflow/tfjs-core';
import { batches, type Normalization, type Split } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { checkInt, TnzipError } from '@tnzip/tensor';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Examples per forward pass (default 500). */
  readonly batchSize?: number;
  /** Per-channel normalization of the raw pixels; default `{ mean: [0], std: [1] }`, i.e. pixels/255. */
  readonly normalize?: Normalization | null;
  /** Feed `[N, prod(shape)]` instead of `[N, ...shape]`. */
  readonly flatten?: boolean;
  /** What to call the split in error messages (default `'split'`), e.g. `'test'`. */
  readonly name?: string;
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
 *
 * @throws TnzipError `INVALID_ARGUMENT` for a split with no example (there is no accuracy to
 *   report) or a bad batch size; `NON_FINITE` when a weight, an input, an output logit or the loss is NaN/±Inf (a
 *   comparison with NaN is false, so such a model would otherwise score as if it were right),
 *   naming the split, the example and the value.
 */
export async function evaluate(model: Module, split: Split, options: EvaluateOptions = {}): Promise<EvalResult> {
  const batchSize = options.batchSize ?? 500;
  const name = options.name ?? 'split';
  checkInt(batchSize, 'evaluate: batchSize', 1);
  if (!(split.count >= 1))
    throw new TnzipError('INVALID_ARGUMENT', `evaluate: ${name} has ${split.count} examples, it needs at least 1`);
  const totals = { c1: 0, c5: 0, loss: 0, n: 0 };
  const normalize = options.normalize === undefined ? UNIT_SCALE : options.normalize;
  await checkWeightsFinite(model, name);
  for (const b of batches(split, { batchSize, shuffle: false, normalize, flatten: options.flatten === true })) {
    try {
      const first = totals.n;
      const { logits, loss, labels, inputOk } = await forward(model, b.x, b.y);
      const k = logits.length / labels.length;
      checkInputsFinite(inputOk, name, first);
      checkFinite(logits, loss, k, name, first);
      for (let i = 0; i < labels.length; i++) {
        const above = rankOfLabel(logits, i * k, k, labels[i] as number);
        if (above === 0) totals.c1++;
        if (above < 5) totals.c5++;
      }
      totals.loss += loss;
      totals.n += labels.length;
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  const { c1, c5, n } = totals;
  return { top1: c1 / n, top5: c5 / n, loss: totals.loss / n, count: n };
}

/** One async read per batch: the only read path on webgpu in Node, a microtask elsewhere. */
async function forward(
  model: Module,
  x: tf.Tensor,
  y: tf.Tensor1D,
): Promise<{ logits: Float32Array; loss: number; labels: Int32Array; inputOk: Uint8Array }> {
  const [z, total, ok] = tf.tidy(() => {
    const logits = model.apply(x, { training: false }) as tf.Tensor2D;
    const per = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]), tf.logSoftmax(logits)), 1));
    // Per example: are all its inputs finite? (A fused ReLU may turn NaN into 0 on some backends.)
    const rows = tf.reshape(tf.isFinite(x), [x.shape[0] as number, -1]);
    return [logits, tf.sum(per), tf.all(rows, 1)] as const;
  });
  try {
    const [logits, loss, labels, inputOk] = await Promise.all([z.data(), total.data(), y.data(), ok.data()]);
    return {
      logits: logits as Float32Array,
      loss: loss[0] as number,
      labels: labels as Int32Array,
      inputOk: Uint8Array.from(inputOk),
    };
  } finally {
    tf.dispose([z, total, ok]);
  }
}

/**
 * A NaN/±Inf weight makes every output meaningless even where a backend's fused activation hides it
 * (XNNPACK's ReLU clamp turns NaN into 0), so the weights are checked once before any batch.
 */
async function checkWeightsFinite(model: Module, name: string): Promise<void> {
  for (const [path, v] of [...model.namedParameters(), ...model.namedBuffers()]) {
    const ok = tf.tidy(() => tf.all(tf.isFinite(v)));
    const [flag] = await ok.data().finally(() => ok.dispose());
    if (flag === 0)
      throw new TnzipError(
        'NON_FINITE',
        `evaluate: weight '${path}' holds NaN/Inf, so the model's output on ${name} cannot be scored`,
      );
  }
}

function checkInputsFinite(inputOk: Uint8Array, name: string, first: number): void {
  const bad = inputOk.indexOf(0);
  if (bad >= 0) throw new TnzipError('NON_FINITE', `evaluate: input example ${first + bad} of ${name} holds NaN/Inf`);
}

function checkFinite(logits: Float32Array, loss: number, k: number, name: string, first: number): void {
  const bad = logits.findIndex((v) => !Number.isFinite(v));
  if (bad < 0 && Number.isFinite(loss)) return;
  throw new TnzipError(
    'NON_FINITE',
    bad >= 0
      ? `evaluate: the model's output on ${name} is not finite (logit ${bad % k} of example ${first + Math.floor(bad / k)} is ${logits[bad]}): its weights or inputs hold NaN/Inf`
      : `evaluate: the loss on ${name} is not finite (${loss}) in the batch from example ${first}`,
  );
}

/** How many classes score above the label's (ties go to the lower class index). */
function rankOfLabel(logits: Float32Array, at: number, k: number, y: number): number {
  const target = logits[at + y] as number;
  let above = 0;
  for (let j = 0; j < k; j++) {
    const v = logits[at + j] as number;
    if (v > target || (v === target && j < y)) above++;
  }
  return above;
}
