import { TnzipError } from '@tnzip/tensor';

/**
 * Per-channel normalization applied to every value `x` of channel `c`:
 *
 *   x' = (x · scale − mean[c]) / std[c]
 *
 * `scale` defaults to 1/255 (raw uint8 pixels to [0, 1]). `mean` and `std` have one entry per
 * channel (the last axis of the example shape) or a single entry used for every channel.
 */
export interface Normalization {
  mean: number[];
  std: number[];
  scale?: number;
}

/** MNIST's training-set pixel mean and standard deviation (on the [0, 1] scale). */
export const MNIST_NORMALIZATION: Normalization = { mean: [0.1307], std: [0.3081] };

/** Fashion-MNIST's training-set pixel mean and standard deviation (on the [0, 1] scale). */
export const FASHION_MNIST_NORMALIZATION: Normalization = { mean: [0.286], std: [0.353] };

/** CIFAR-10's training-set per-channel (R, G, B) mean and standard deviation (on the [0, 1] scale). */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};

/**
 * Resolves a normalization into per-channel multipliers `a[c] = scale / std[c]` and offsets
 * `b[c] = −mean[c] / std[c]`, so that `x' = a[c]·x + b[c]`. `null` is the identity.
 *
 * @throws TnzipError `INVALID_ARGUMENT` when `mean`/`std` have neither 1 nor `channels` entries,
 *   a `std` entry is not a positive finite number, or a `mean`/`scale` is not finite.
 */
export function channelAffine(norm: Normalization | null, channels: number): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(channels).fill(1);
  const b = new Float32Array(channels);
  if (norm === null) return { a, b };
  const scale = norm.scale ?? 1 / 255;
  if (!Number.isFinite(scale)) throw new TnzipError('INVALID_ARGUMENT', `normalize.scale must be finite, got ${scale}`);
  for (const [key, arr] of [
    ['mean', norm.mean],
    ['std', norm.std],
  ] as const) {
    if (arr.length !== 1 && arr.length !== channels) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `normalize.${key} must have 1 or ${channels} entries (one per channel), got ${arr.length}`,
      );
    }
  }
  for (let c = 0; c < channels; c++) {
    const m = (norm.mean.length === 1 ? norm.mean[0] : norm.mean[c]) as number;
    const s = (norm.std.length === 1 ? norm.std[0] : norm.std[c]) as number;
    if (!Number.isFinite(m)) throw new TnzipError('INVALID_ARGUMENT', `normalize.mean[${c}] must be finite, got ${m}`);
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new TnzipError('INVALID_ARGUMENT', `normalize.std[${c}] must be a positive finite number, got ${s}`);
    }
    a[c] = scale / s;
    b[c] = -m / s;
  }
  return { a, b };
}
