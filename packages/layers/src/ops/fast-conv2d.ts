import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Padding, type Pads, checkPadding, pair, resolvePads, windowOutputSize } from './conv-geometry.js';

/** Geometry of {@link fastConv2d}. */
export interface FastConv2dOptions {
  readonly stride: readonly [number, number];
  readonly padding: Padding;
  readonly dilation: readonly [number, number];
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

function explicit(p: Pads): Explicit {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/**
 * 2-D convolution, NHWC, whose gradients use only forward `conv2d` kernels on every backend.
 *
 * x: `[N, H, W, S]`, filter: `[kh, kw, S, T]` → `[N, H', W', T]` with
 * y[n,i,j,t] = Σ_{a,b,c} xp[n, i·s_h + a·d_h, j·s_w + b·d_w, c] · W[a,b,c,t] (xp = padded x).
 *
 * Why: tfjs-backend-wasm has no Conv2DBackpropFilter kernel and a Conv2DBackpropInput ~10x
 * slower than its forward conv. The backward pass is rewritten as forward convolutions:
 * - dx: the upstream gradient, stride-dilated (zeros inserted between rows/columns by
 *   reshape + pad), padded by effK − 1 − pad (cropped where negative), convolved (stride 1,
 *   dilation d) with the spatially flipped, in/out-swapped filter W[kh−1−a, kw−1−b, t, c];
 * - dW: channels as batch: xᵀ `[S, H, W, N]` convolved with dy as the filter `[H', W', N, T]`
 *   with dilation = s and stride = d, cropped to `kh × kw`.
 * tfjs forbids stride > 1 together with dilation > 1 in one conv2d; in that case the filter is
 * itself dilated (zero-inserted to its effective size, differentiably) and the convolution runs
 * with dilation 1, which keeps both gradient convolutions legal at the cost of the zero MACs.
 */
export function fastConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  opts: { readonly stride: readonly [number, number]; readonly padding: Padding; readonly dilation: readonly [number, number] },
): tf.Tensor4D {
  const stride = pair(opts.stride, 'fastConv2d: stride');
  const dilation = pair(opts.dilation, 'fastConv2d: dilation');
  checkPadding(opts.padding, 'fastConv2d: padding');
  if (x.rank !== 4) throw new TnzipError('SHAPE_MISMATCH', `fastConv2d: x must be [N, H, W, S], got [${x.shape.join(', ')}]`);
  if (filter.rank !== 4) {
    throw new TnzipError('SHAPE_MISMATCH', `fastConv2d: filter must be [kh, kw, S, T], got [${filter.shape.join(', ')}]`);
  }
  const [, h, w, s] = x.shape;
  const [kh, kw, fs] = filter.shape;
  if (fs !== s) {
    throw new TnzipError('SHAPE_MISMATCH', `fastConv2d: filter has ${fs} input channels, x has ${s} (x [${x.shape.join(', ')}], filter [${filter.shape.join(', ')}])`);
  }
  const pads = resolvePads(h, w, [kh, kw], stride, opts.padding, dilation);
  windowOutputSize(h, w, [kh, kw], stride, pads, dilation, 'fastConv2d');
  const strided = stride[0] > 1 || stride[1] > 1;
  const dilated = dilation[0] > 1 || dilation[1] > 1;
  if (strided && dilated) {
    return tf.tidy(() => convCore(x, dilateFilter(filter, dilation), stride, pads, [1, 1]));
  }
  return convCore(x, filter, stride, pads, dilation);
}

/** Zero-inserts `d − 1` rows/columns between filter taps: `[kh, kw, S, T]` → `[(kh−1)d_h+1, (kw−1)d_w+1, S, T]`. */
function dilateFilter(f: tf.Tensor4D, d: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, s, t] = f.shape;
  const r = tf.reshape(f, [kh, 1, kw, 1, s, t]);
  const p = tf.pad(r, [
    [0, 0],
    [0, d[0] - 1],
    [0, 0],
    [0, d[1] - 1],
    [0, 0],
    [0, 0],
  ]);
  const full = tf.reshape(p, [kh * d[0], kw * d[1], s, t]);
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1, s, t]) as tf.Tensor4D;
}

function convCore(x: tf.Tensor4D, filter: tf.Tensor4D, stride: [number, number], pads: Pads, dilation: [number, number]): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xx = args[0] as tf.Tensor4D;
    const ff = args[1] as tf.Tensor4D;
    const save = args[2] as tf.GradSaveFunc;
    save([xx, ff]);
    const value = tf.conv2d(xx, ff, stride, explicit(pads), 'NHWC', dilation);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      return [inputGrad(dy4, sf, sx.shape, stride, pads, dilation), filterGrad(dy4, sx, sf.shape, stride, pads, dilation)];
    };
    return { value, gradFunc };
  });
  return op(x, filter) as tf.Tensor4D;
}

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
    const r = tf.reshape(dy, [n, ho, 1, wo, 1, t]);
    const p = tf.pad(r, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
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
  const pad: Explicit = [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ];
  const out = tf.conv2d(z, flipped, [1, 1], pad, 'NHWC', [dilation[0], dilation[1]]);
  if (out.shape[1] !== h || out.shape[2] !== w || out.shape[3] !== s) {
    throw new TnzipError('SHAPE_MISMATCH', `fastConv2d: internal input-gradient shape [${out.shape.join(', ')}] != [${xShape.join(', ')}]`);
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
  const out = tf.conv2d(xt, dyf, [dilation[0], dilation[1]], explicit(pads), 'NHWC', [stride[0], stride[1]]); // [S, >=kh, >=kw, T]
  const cropped = out.shape[1] === kh && out.shape[2] === kw ? out : tf.slice(out, [0, 0, 0, 0], [s, kh, kw, t]);
  return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
}
