import { checkInt, type Rng, TnzipError } from '@tnzip/tensor';

/**
 * Training-time augmentation of `[H, W, C]` images, applied on the CPU arrays before tensors exist
 * (the standard CIFAR recipe: pad 4, random 32×32 crop, random horizontal flip).
 *
 * - `randomCrop`: pad each side with `padding` zero pixels (zero in raw pixel units, before
 *   normalization, as torchvision's `RandomCrop(padding=…)` does), then cut a `size`×`size` window at
 *   a uniform random offset in `[0, H + 2·padding − size] × [0, W + 2·padding − size]`.
 * - `horizontalFlip`: mirror the (cropped) image left–right with probability 1/2.
 */
export interface Augmentation {
  randomCrop?: { size: number; padding: number };
  horizontalFlip?: boolean;
}

/** One example's drawn transform: window origin `(dy, dx)` in the padded image, and the flip. */
export interface ExampleTransform {
  dy: number;
  dx: number;
  flip: boolean;
}

/**
 * Checks `aug` against the example shape `[H, W, C]`.
 * @returns the output example shape `[size, size, C]` (or `[H, W, C]` without a crop).
 * @throws TnzipError `SHAPE_MISMATCH` when the examples are not `[H, W, C]`; `INVALID_ARGUMENT` for a
 *   padding below 0 or a crop size outside `[1, min(H, W) + 2·padding]`.
 */
export function augmentedShape(aug: Augmentation, shape: readonly number[]): number[] {
  if (shape.length !== 3) {
    throw new TnzipError('SHAPE_MISMATCH', `augment needs examples of shape [H, W, C], got [${shape.join(', ')}]`);
  }
  const [h, w, c] = shape as [number, number, number];
  if (aug.randomCrop === undefined) return [h, w, c];
  const { size, padding } = aug.randomCrop;
  checkInt(padding, 'augment.randomCrop.padding', 0);
  checkInt(size, 'augment.randomCrop.size', 1, Math.min(h, w) + 2 * padding);
  return [size, size, c];
}

/** Draws one example's transform from `rng` (flip first, then the crop origin). */
export function drawTransform(rng: Rng, aug: Augmentation, shape: readonly number[]): ExampleTransform {
  const flip = aug.horizontalFlip === true && rng.uniform() < 0.5;
  if (aug.randomCrop === undefined) return { dy: 0, dx: 0, flip };
  const { size, padding } = aug.randomCrop;
  const dy = rng.int((shape[0] as number) + 2 * padding - size + 1);
  const dx = rng.int((shape[1] as number) + 2 * padding - size + 1);
  return { dy, dx, flip };
}

/**
 * Writes one transformed, normalized example into `out` at `outOffset`:
 *
 *   out[y, x, c] = a[c] · src[y + dy − p, x' + dx − p, c] + b[c],   x' = flip ? (ow − 1 − x) : x,
 *
 * where `src` outside the image reads 0 (zero padding). Shapes: `src` example `[H, W, C]` at `srcOffset`,
 * output `[oh, ow, C]`; `p` is the crop padding (0 without a crop).
 */
export function writeExample(
  src: ArrayLike<number>,
  srcOffset: number,
  shape: readonly number[],
  outShape: readonly number[],
  padding: number,
  t: ExampleTransform,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  outOffset: number,
): void {
  const [h, w, c] = shape as [number, number, number];
  const [oh, ow] = outShape as [number, number, number];
  let o = outOffset;
  for (let y = 0; y < oh; y++) {
    const sy = y + t.dy - padding;
    const rowInside = sy >= 0 && sy < h;
    for (let x = 0; x < ow; x++) {
      const sx = (t.flip ? ow - 1 - x : x) + t.dx - padding;
      const inside = rowInside && sx >= 0 && sx < w;
      const s = srcOffset + (sy * w + sx) * c;
      for (let ch = 0; ch < c; ch++) {
        const v = inside ? (src[s + ch] as number) : 0;
        out[o++] = (a[ch] as number) * v + (b[ch] as number);
      }
    }
  }
}
