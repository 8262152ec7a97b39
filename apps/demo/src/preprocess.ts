import { channelAffine, MNIST_NORMALIZATION } from '@tnzip/data';

/**
 * MNIST input preprocessing, exactly as the trainer does it (`batches` of @tnzip/data with
 * `MNIST_NORMALIZATION`): x = a·pixel + b with the float32 `a`, `b` of `channelAffine`, the product
 * and sum in float64, the result stored as float32. Pure (no DOM, no tfjs): the page and the Node
 * check both import it.
 */

/** One MNIST image: 28 × 28 × 1 (NHWC without the batch axis). */
export const IMAGE_SHAPE = [28, 28, 1] as const;
/** Pixels per image (784). */
export const IMAGE_SIZE = 28 * 28;

const { a: A, b: B } = channelAffine(MNIST_NORMALIZATION, 1);

/**
 * Normalizes uint8 grey pixels (0 = background, 255 = ink; any whole number of 784-pixel images,
 * row-major, image after image) to the float32 values the models were trained on.
 *
 * @returns Float32Array of the same length, to be viewed as `[n, 28, 28, 1]`.
 */
export function normalizePixels(pixels: Uint8Array): Float32Array {
  const a = A[0] as number;
  const b = B[0] as number;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = a * (pixels[i] as number) + b;
  return out;
}
