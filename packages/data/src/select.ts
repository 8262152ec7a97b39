import { TnzipError } from '@tnzip/tensor';
import type { Split } from './dataset.js';

/**
 * A new {@link Split} holding the examples at `indices`, in that order (copies; the source is untouched).
 * The image array keeps its type (uint8 stays uint8).
 *
 * @throws TnzipError `INVALID_ARGUMENT` for an index outside `[0, split.count)`.
 */
export function selectExamples(split: Split, indices: ArrayLike<number>): Split {
  const size = split.shape.reduce((a, b) => a * b, 1);
  const n = indices.length;
  const images = split.images instanceof Uint8Array ? new Uint8Array(n * size) : new Float32Array(n * size);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new TnzipError('INVALID_ARGUMENT', `indices[${k}] must be an integer in [0, ${split.count - 1}], got ${i}`);
    }
    images.set(split.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = split.labels[i] as number;
  }
  return { images, labels, count: n, shape: [...split.shape] };
}
