import * as tf from '@tensorflow/tfjs-core';
import { checkInt, Rng, TnzipError } from '@tnzip/tensor';
import type { Augmentation } from './augment.js';
import { augmentedShape, drawTransform, writeExample } from './augment.js';
import type { Split } from './dataset.js';
import type { Normalization } from './normalization.js';
import { channelAffine } from './normalization.js';
import { epochPermutation, mixSeed, STREAM } from './permutation.js';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Examples per batch (>= 1). */
  batchSize: number;
  /** Visit examples in a seeded random order (default `true`); `false` keeps the split's order. */
  shuffle?: boolean;
  /** Run seed in [0, 2^32) (default 0); with `epoch` it fixes the order and the augmentation. */
  seed?: number;
  /** Epoch index >= 0 (default 0); each epoch has its own order. */
  epoch?: number;
  /** Skip a last batch smaller than `batchSize` (default `false`). */
  dropLast?: boolean;
  /** Per-channel normalization (usually `dataset.normalization`); `null` passes values through as float32. */
  normalize: Normalization | null;
  /** Random crop / horizontal flip, for training only. Needs examples of shape `[H, W, C]`. */
  augment?: Augmentation;
  /** First batch to produce (default 0): resuming at batch `k` yields exactly batches `k, k+1, …` of the full pass. */
  startBatch?: number;
  /** Return `x` as `[b, prod(exampleShape)]` instead of `[b, ...exampleShape]` (for MLPs such as LeNet-300-100). */
  flatten?: boolean;
  /** When set to the number of classes, each batch also carries `oneHot`, float32 `[b, oneHot]`. */
  oneHot?: number;
}

/**
 * One batch. The caller owns (and must dispose) `x`, `y` and `oneHot`.
 *
 * - `x`: float32 `[b, H, W, C]` (NHWC; `[b, size, size, C]` under a random crop), or `[b, D]` when
 *   flattened or when the examples are vectors.
 * - `y`: int32 `[b]` class labels.
 * - `oneHot`: float32 `[b, numClasses]`, only when `options.oneHot` is set.
 * - `batch`: this batch's index in the epoch; `indices`: the split indices of its examples, in order.
 */
export interface Batch {
  x: tf.Tensor4D | tf.Tensor2D;
  y: tf.Tensor1D;
  oneHot?: tf.Tensor2D;
  batch: number;
  indices: Int32Array;
}

/**
 * Batches in one epoch of `count` examples (or of `split`): `ceil(count / batchSize)`, or
 * `floor(count / batchSize)` with `dropLast`.
 */
export function batchCount(split: Split | number, batchSize: number, dropLast = false): number {
  const count = typeof split === 'number' ? split : split.count;
  checkInt(count, 'count', 0);
  checkInt(batchSize, 'batchSize', 1);
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * Iterates one epoch of `split` as tensors, synchronously.
 *
 * Order: the permutation {@link epochPermutation}`(count, seed, epoch)` (or the split's order without
 * `shuffle`); batch `k` holds examples `order[k·batchSize … (k+1)·batchSize)`. Augmentation of batch `k`
 * draws from a generator seeded by `(seed, epoch, k)` alone. So every batch is a pure function of
 * `(split, options, k)`: two passes with the same seed and epoch are identical, and a pass started at
 * `startBatch = k` yields exactly the batches `k, k+1, …` of an uninterrupted one.
 *
 * Values: `x = a[c]·pixel + b[c]` per {@link Normalization}, computed on the CPU arrays so only one
 * float32 batch exists at a time; no tensor is created until a batch is yielded.
 *
 * @throws TnzipError `INVALID_ARGUMENT` for a bad batch size, seed, epoch, startBatch (outside
 *   `[0, batchCount]`), oneHot below 1, a label not below `oneHot`, or a normalization that does not fit
 *   the channels; `SHAPE_MISMATCH` when augmenting examples that are not `[H, W, C]`, or for example
 *   ranks other than 1 and 3. All checks run before the first batch.
 */
export function batches(split: Split, options: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize, shuffle = true, seed = 0, epoch = 0, dropLast = false, startBatch = 0 } = options;
  checkInt(batchSize, 'batchSize', 1);
  checkInt(seed, 'seed', 0, 0xffffffff);
  checkInt(epoch, 'epoch', 0, 0xffffffff);
  const total = batchCount(split, batchSize, dropLast);
  checkInt(startBatch, 'startBatch', 0, total);
  const shape = split.shape;
  if (shape.length !== 1 && shape.length !== 3) {
    throw new TnzipError('SHAPE_MISMATCH', `split.shape must be [D] or [H, W, C], got [${shape.join(', ')}]`);
  }
  const aug = options.augment;
  const augmenting = aug !== undefined && (aug.randomCrop !== undefined || aug.horizontalFlip === true);
  const outShape = augmenting ? augmentedShape(aug, shape) : [...shape];
  const channels = shape.length === 3 ? (shape[2] as number) : 1;
  const { a, b } = channelAffine(options.normalize, channels);
  if (options.oneHot !== undefined) {
    checkInt(options.oneHot, 'oneHot', 1);
    const n = options.oneHot;
    split.labels.forEach((l, i) => {
      if (l >= n)
        throw new TnzipError('INVALID_ARGUMENT', `oneHot is ${n} classes but label ${l} at index ${i} is not below it`);
    });
  }
  const order = shuffle
    ? epochPermutation(split.count, seed, epoch)
    : Int32Array.from({ length: split.count }, (_, i) => i);
  return generate(split, options, { total, startBatch, order, outShape, a, b, augmenting, seed, epoch });
}

interface Plan {
  total: number;
  startBatch: number;
  order: Int32Array;
  outShape: number[];
  a: Float32Array;
  b: Float32Array;
  augmenting: boolean;
  seed: number;
  epoch: number;
}

function* generate(split: Split, options: BatchOptions, plan: Plan): Generator<Batch, void, undefined> {
  const { batchSize } = options;
  const { order, outShape, a, b } = plan;
  const inSize = split.shape.reduce((p, q) => p * q, 1);
  const outSize = outShape.reduce((p, q) => p * q, 1);
  const padding = options.augment?.randomCrop?.padding ?? 0;
  const channels = split.shape.length === 3 ? (split.shape[2] as number) : 1;
  for (let k = plan.startBatch; k < plan.total; k++) {
    const indices = order.slice(k * batchSize, Math.min((k + 1) * batchSize, order.length));
    const n = indices.length;
    const xs = new Float32Array(n * outSize);
    const ys = new Int32Array(n);
    const rng = plan.augmenting ? new Rng(mixSeed(STREAM.augment, plan.seed, plan.epoch, k)) : null;
    for (let j = 0; j < n; j++) {
      const i = indices[j] as number;
      ys[j] = split.labels[i] as number;
      if (rng !== null) {
        const t = drawTransform(rng, options.augment as Augmentation, split.shape);
        writeExample(split.images, i * inSize, split.shape, outShape, padding, t, a, b, xs, j * outSize);
      } else {
        const src = split.images;
        const base = i * inSize;
        const o = j * outSize;
        for (let e = 0; e < inSize; e++) {
          const ch = e % channels;
          xs[o + e] = (a[ch] as number) * (src[base + e] as number) + (b[ch] as number);
        }
      }
    }
    const x =
      options.flatten === true || outShape.length === 1
        ? tf.tensor2d(xs, [n, outSize], 'float32')
        : tf.tensor4d(xs, [n, ...outShape] as [number, number, number, number], 'float32');
    const y = tf.tensor1d(ys, 'int32');
    const batch: Batch = { x, y, batch: k, indices };
    if (options.oneHot !== undefined) {
      const depth = options.oneHot;
      const oh = new Float32Array(n * depth);
      for (let j = 0; j < n; j++) oh[j * depth + (ys[j] as number)] = 1;
      batch.oneHot = tf.tensor2d(oh, [n, depth], 'float32');
    }
    yield batch;
  }
}
