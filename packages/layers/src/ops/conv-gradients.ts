import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { nhwcPads, type Pads } from './conv-geometry.js';

/** dL/dx as one forward convolution (see {@link fastConv2d}). */
export function inputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  stride: readonly [number, number],
  pads: Pads,
  dilation: readonly [number, number],
): tf.Tensor4D {
  const [n, h, w] = xShape;
  const [kh, kw, s, t] = filter.shape;
  const [, ho, wo] = dy.shape;
  const [sh, sw] = stride;
  let z: tf.Tensor4D = dy;
  if (sh > 1 || sw > 1) {
    // [n·ho, 1, wo, t] padded to [n·ho, sh, wo, sw·t] is [n, ho, sh, wo, sw, t] with the values at
    // index 0 of both stride axes; rank 4 because tfjs-backend-webgpu 4.22's pad kernel emits WGSL
    // that does not compile for rank 5 and 6.
    const r = tf.reshape(dy, [n * ho, 1, wo, t]);
    const p = tf.pad(r, [
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, (sw - 1) * t],
    ]);
    z = tf.reshape(p, [n, ho * sh, wo * sw, t]);
  }
  const ekh = (kh - 1) * dilation[0] + 1;
  const ekw = (kw - 1) * dilation[1] + 1;
  // Sides of the zero-inserted gradient (length ho·sh) needed so that a valid stride-1 conv
  // gives exactly h rows; negative = crop (rows that only ever met padding).
  const top = ekh - 1 - pads.top;
  const bottom = h + pads.top - ho * sh;
  const left = ekw - 1 - pads.left;
  const right = w + pads.left - wo * sw;
  const crop = [Math.max(-top, 0), Math.max(-bottom, 0), Math.max(-left, 0), Math.max(-right, 0)] as const;
  if (crop.some((c) => c > 0)) {
    const [, zh, zw] = z.shape;
    z = tf.slice(z, [0, crop[0], crop[2], 0], [n, zh - crop[0] - crop[1], zw - crop[2] - crop[3], t]);
  }
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const pad = nhwcPads({
    top: Math.max(top, 0),
    bottom: Math.max(bottom, 0),
    left: Math.max(left, 0),
    right: Math.max(right, 0),
  });
  const out = tf.conv2d(z, flipped, [1, 1], pad, 'NHWC', [dilation[0], dilation[1]]);
  if (out.shape[1] !== h || out.shape[2] !== w || out.shape[3] !== s) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `fastConv2d: internal input-gradient shape [${out.shape.join(', ')}] != [${xShape.join(', ')}]`,
    );
  }
  return out;
}

/** dL/dW as one forward convolution over channels-as-batch (see {@link fastConv2d}). */
export function filterGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  stride: readonly [number, number],
  pads: Pads,
  dilation: readonly [number, number],
): tf.Tensor4D {
  const [kh, kw, s, t] = filterShape;
  const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [S, H, W, N]
  const dyf = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H', W', N, T]
  const out = tf.conv2d(xt, dyf, [dilation[0], dilation[1]], nhwcPads(pads), 'NHWC', [stride[0], stride[1]]); // [S, >=kh, >=kw, T]
  const cropped = out.shape[1] === kh && out.shape[2] === kw ? out : tf.slice(out, [0, 0, 0, 0], [s, kh, kw, t]);
  return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
}
