import type { Normalization } from './normalization.js';

/**
 * One part of a dataset (train, test or a validation split), kept as raw pixels so that memory stays
 * at one byte per value (CIFAR-10's training set is 150 MB as uint8, 600 MB as float32);
 * {@link batches} normalizes per batch.
 *
 * - `images`: `count * prod(shape)` values, example-major, each example in `shape` order (NHWC
 *   without the batch axis for images: example `i`, row `y`, column `x`, channel `c` sits at
 *   `((i * H + y) * W + x) * C + c`). `Uint8Array` holds pixels in 0..255; a `Float32Array` holds
 *   values on whatever scale its {@link Normalization.scale} expects.
 * - `labels`: `count` class indices in `[0, numClasses)`.
 * - `shape`: the shape of ONE example (e.g. `[28, 28, 1]`, `[32, 32, 3]`), no batch axis.
 */
export interface Split {
  images: Float32Array | Uint8Array;
  labels: Uint8Array;
  count: number;
  shape: number[];
}

/**
 * A labelled image-classification dataset.
 *
 * - `inputShape`: one example's shape, no batch axis, NHWC order for images (`[H, W, C]`); equal to
 *   `train.shape` and `test.shape`.
 * - `numClasses`: labels lie in `[0, numClasses)`.
 * - `classNames`: `numClasses` human-readable names, when known.
 * - `normalization`: the dataset's customary per-channel mean/std (what {@link batches} should be
 *   given as `normalize` unless you have your own).
 */
export interface Dataset {
  name: string;
  train: Split;
  test: Split;
  inputShape: number[];
  numClasses: number;
  classNames?: string[];
  normalization: Normalization;
}

/** Where a dataset's files lie: a directory path, or `{ dir }` (omitted: the loader's default). */
export type DatasetSource = string | { dir?: string };

/** The directory named by a {@link DatasetSource}, or `undefined` for the default. */
export function sourceDir(source: DatasetSource | undefined): string | undefined {
  return typeof source === 'string' ? source : source?.dir;
}
