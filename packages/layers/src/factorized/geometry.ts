import { TnzipError } from '@tnzip/tensor';
import type { Padding } from '../ops/conv-geometry.js';

/* Conv geometry and input-shape checks of the factorized layers. */

/** Conv padding as the dense Conv2d takes it. */
export type PaddingSpec = Padding;

/** Geometry of a conv layer (everything but its weights). */
export interface ConvGeometry {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: PaddingSpec;
  readonly dilation: readonly [number, number];
}

/**
 * Explicit `[[top, bottom], [left, right]]` padding, following tfjs's conventions: 'same' gives
 * `ceil(in / stride)` outputs with the odd pixel at the bottom/right.
 */
export function explicitPadding(
  padding: PaddingSpec,
  inH: number,
  inW: number,
  g: Pick<ConvGeometry, 'kernelSize' | 'stride' | 'dilation'>,
): [[number, number], [number, number]] {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (typeof padding === 'number')
    return [
      [padding, padding],
      [padding, padding],
    ];
  if (padding === 'same') {
    const one = (n: number, k: number, s: number, d: number): [number, number] => {
      const out = Math.ceil(n / s);
      const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
      const a = Math.floor(total / 2);
      return [a, total - a];
    };
    return [
      one(inH, g.kernelSize[0], g.stride[0], g.dilation[0]),
      one(inW, g.kernelSize[1], g.stride[1], g.dilation[1]),
    ];
  }
  const [[t, b], [l, r]] = padding;
  return [
    [t, b],
    [l, r],
  ];
}

/** Output `[H', W']` of a conv with this geometry on an `inH × inW` input. */
export function convOutHW(inH: number, inW: number, g: ConvGeometry): [number, number] {
  const [[t, b], [l, r]] = explicitPadding(g.padding, inH, inW, g);
  const out = (n: number, k: number, s: number, d: number): number => Math.floor((n - (k - 1) * d - 1) / s) + 1;
  const h = out(inH + t + b, g.kernelSize[0], g.stride[0], g.dilation[0]);
  const w = out(inW + l + r, g.kernelSize[1], g.stride[1], g.dilation[1]);
  if (h < 1 || w < 1) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `input ${inH}x${inW} is too small for kernel ${g.kernelSize.join('x')} (output ${h}x${w})`,
    );
  }
  return [h, w];
}

/** Checks a conv input shape `[H, W, C]` and returns it. */
export function checkImageShape(
  inputShape: readonly number[],
  channels: number,
  who: string,
): [number, number, number] {
  if (inputShape.length !== 3 || inputShape[2] !== channels) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${who}: input shape must be [H, W, ${channels}], got [${inputShape.join(', ')}]`,
    );
  }
  return [inputShape[0] as number, inputShape[1] as number, channels];
}

/** Checks a linear input shape `[F]`. */
export function checkFeatureShape(inputShape: readonly number[], features: number, who: string): void {
  if (inputShape.length !== 1 || inputShape[0] !== features) {
    throw new TnzipError('SHAPE_MISMATCH', `${who}: input shape must be [${features}], got [${inputShape.join(', ')}]`);
  }
}
