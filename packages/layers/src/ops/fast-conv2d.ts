import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import {
  checkPadding,
  nhwcPads,
  type Padding,
  type Pads,
  pair,
  resolvePads,
  windowOutputSize,
} from './conv-geometry.js';
import './register-gradients.js';

/** Geometry of {@link fastConv2d}. */
export interface FastConv2dOptions {
  readonly stride: readonly [number, number];
  readonly padding: Padding;
  readonly dilation: readonly [number, number];
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
 *
 * The two gradient convolutions are registered as the gradient of tfjs's `Conv2D` kernel
 * (see register-gradients.ts) rather than wrapped with `tf.customGrad`: a registered gradient is
 * lazy per input, so the input gradient of a first layer (whose input is data) is never computed,
 * and every `tf.conv2d` in the process (factorized layers included) trains fast.
 */
export function fastConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  opts: {
    readonly stride: readonly [number, number];
    readonly padding: Padding;
    readonly dilation: readonly [number, number];
  },
): tf.Tensor4D {
  const stride = pair(opts.stride, 'fastConv2d: stride');
  const dilation = pair(opts.dilation, 'fastConv2d: dilation');
  checkPadding(opts.padding, 'fastConv2d: padding');
  if (x.rank !== 4)
    throw new TnzipError('SHAPE_MISMATCH', `fastConv2d: x must be [N, H, W, S], got [${x.shape.join(', ')}]`);
  if (filter.rank !== 4) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `fastConv2d: filter must be [kh, kw, S, T], got [${filter.shape.join(', ')}]`,
    );
  }
  const [, h, w, s] = x.shape;
  const [kh, kw, fs] = filter.shape;
  if (fs !== s) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `fastConv2d: filter has ${fs} input channels, x has ${s} (x [${x.shape.join(', ')}], filter [${filter.shape.join(', ')}])`,
    );
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

/**
 * Zero-inserts `d − 1` rows/columns between filter taps: `[kh, kw, S, T]` → `[(kh−1)d_h+1, (kw−1)d_w+1, S, T]`.
 * The zeros come from one rank-4 pad of `[kh, 1, kw, S·T]` (padding a size-1 axis followed by
 * `S·T` values is padding the merged axis by `(d_w − 1)·S·T`): tfjs-backend-webgpu 4.22's pad
 * kernel emits WGSL that does not compile for rank 5 and 6.
 */
function dilateFilter(f: tf.Tensor4D, d: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, s, t] = f.shape;
  const r = tf.reshape(f, [kh, 1, kw, s * t]);
  const p = tf.pad(r, [
    [0, 0],
    [0, d[0] - 1],
    [0, 0],
    [0, (d[1] - 1) * s * t],
  ]);
  const full = tf.reshape(p, [kh * d[0], kw * d[1], s, t]);
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1, s, t]) as tf.Tensor4D;
}

function convCore(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: [number, number],
  pads: Pads,
  dilation: [number, number],
): tf.Tensor4D {
  // The gradient of tfjs's Conv2D kernel is replaced by register-gradients.ts (fast, lazy).
  return tf.conv2d(x, filter, stride, nhwcPads(pads), 'NHWC', dilation);
}
