import { TnzipError } from '@tnzip/tensor';
import type { Shape } from '../module.js';

/**
 * Spatial padding of a 2-D convolution or pooling window.
 * - `'valid'`: none; `'same'`: TensorFlow's rule (output = ceil(input / stride), the odd extra
 *   row/column at the bottom/right);
 * - a number `p`: `p` on every side;
 * - explicit `[[top, bottom], [left, right]]`.
 */
export type Padding = 'same' | 'valid' | number | readonly [readonly [number, number], readonly [number, number]];

/** Resolved padding, every side a non-negative integer. */
export interface Pads {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** Normalizes `v` (a number or a pair) to a pair of integers >= `min`; INVALID_ARGUMENT otherwise. */
export function pair(v: number | readonly [number, number], name: string, min = 1): [number, number] {
  const p: readonly number[] = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`,
    );
  }
  return [p[0] as number, p[1] as number];
}

/** Throws INVALID_ARGUMENT unless `padding` is a well-formed {@link Padding}. */
export function checkPadding(padding: Padding, name = 'padding'): void {
  if (padding === 'same' || padding === 'valid') return;
  if (typeof padding === 'number') {
    if (Number.isInteger(padding) && padding >= 0) return;
  } else if (
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every(
      (side) => Array.isArray(side) && side.length === 2 && side.every((x) => Number.isInteger(x) && x >= 0),
    )
  ) {
    return;
  }
  throw new TnzipError(
    'INVALID_ARGUMENT',
    `${name} must be 'same', 'valid', an integer >= 0 or [[top, bottom], [left, right]] of integers >= 0, got ${JSON.stringify(padding)}`,
  );
}

/** Padding along one axis for `'same'`: total = max((ceil(n/s) − 1)·s + effK − n, 0), top = ⌊total/2⌋. */
function samePads(n: number, effK: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + effK - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * The explicit pads of a window of `kernel` (with `dilation`) and `stride` over an `h × w`
 * input. Effective kernel size effK = (k − 1)·d + 1.
 */
export function resolvePads(
  h: number,
  w: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: Padding,
  dilation: readonly [number, number] = [1, 1],
): Pads {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof padding === 'number') return { top: padding, bottom: padding, left: padding, right: padding };
  if (padding === 'same') {
    const [top, bottom] = samePads(h, (kernel[0] - 1) * dilation[0] + 1, stride[0]);
    const [left, right] = samePads(w, (kernel[1] - 1) * dilation[1] + 1, stride[1]);
    return { top, bottom, left, right };
  }
  return { top: padding[0][0], bottom: padding[0][1], left: padding[1][0], right: padding[1][1] };
}

/**
 * Output spatial size of a window op: ⌊(n + before + after − effK) / s⌋ + 1 per axis.
 * SHAPE_MISMATCH (naming `layer`) when the padded input is smaller than the effective kernel.
 */
export function windowOutputSize(
  h: number,
  w: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  pads: Pads,
  dilation: readonly [number, number],
  layer: string,
): [number, number] {
  const eh = (kernel[0] - 1) * dilation[0] + 1;
  const ew = (kernel[1] - 1) * dilation[1] + 1;
  const ph = h + pads.top + pads.bottom;
  const pw = w + pads.left + pads.right;
  if (ph < eh || pw < ew) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${layer}: padded input ${ph}×${pw} is smaller than the effective kernel ${eh}×${ew} (input ${h}×${w})`,
    );
  }
  return [Math.floor((ph - eh) / stride[0]) + 1, Math.floor((pw - ew) / stride[1]) + 1];
}

/**
 * Output shape `[H', W', T]` of a convolution with `outChannels` = T filters over an input of
 * shape `[H, W, C]` (batch axis excluded).
 */
export function convOutputShape(
  inputShape: Shape,
  kernel: [number, number],
  stride: [number, number],
  padding: Padding,
  dilation: [number, number],
  outChannels: number,
): [number, number, number] {
  if (inputShape.length !== 3) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `convOutputShape: inputShape must be [H, W, C], got [${inputShape.join(', ')}]`,
    );
  }
  const [h, w] = inputShape as [number, number, number];
  const pads = resolvePads(h, w, kernel, stride, padding, dilation);
  const [oh, ow] = windowOutputSize(h, w, kernel, stride, pads, dilation, 'convOutputShape');
  return [oh, ow, outChannels];
}

/** `pads` as tfjs's explicit NHWC padding `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
export function nhwcPads(p: Pads): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}
