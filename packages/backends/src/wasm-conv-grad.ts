import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so `tf.grads` through `tf.conv2d`
 * (training any CNN) fails on wasm with "Kernel 'Conv2DBackpropFilter' not registered". This
 * replaces the Conv2D gradient with one that, on wasm only, computes the filter gradient from
 * kernels wasm has (pad, transpose, dilated conv2d); other backends keep their own kernels.
 *
 * Maths (NHWC, stride s, padding already applied to x):
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, s·oh + kh, s·ow + kw, ci] · dy[n, oh, ow, co],
 * which is a valid conv2d of xᵀ = x transposed to [ci, H, W, n] (batch as channels) with the
 * "filter" dyᵀ = dy transposed to [oh, ow, n, co] at dilation s, giving [ci, kh', kw', co]; rows
 * past the filter size (when (H − kh) is not a multiple of s) are sliced off.
 *
 * Opt-in, for code that trains convolutions with raw tfjs ops: @tnzip/layers registers its own
 * (faster, dilation-capable) Conv2D gradient when imported, and calling this afterwards would
 * replace it. Idempotent. Importing `@tensorflow/tfjs-core/dist/register_all_gradients` after
 * this call puts tfjs' stock gradient back.
 */
export function installWasmConvFilterGrad(): void {
  if (tf.getGradient('Conv2D') !== conv2dGrad) tf.registerGradient(conv2dGrad);
}

const conv2dGrad: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      dilations: [number, number] | number;
    };
    const dy4 = dy as tf.Tensor4D;
    const kernelAttrs = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat,
      dimRoundingMode: a.dimRoundingMode,
    };
    return {
      x: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dy4, filter }, {
          ...kernelAttrs,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
      filter: () =>
        tf.getBackend() === 'wasm' && a.dataFormat !== 'NCHW'
          ? filterGrad(x, dy4, filter.shape, a.strides, a.pad, a.dimRoundingMode)
          : (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, {
              ...kernelAttrs,
              filterShape: filter.shape,
            } as unknown as tf.NamedAttrMap) as tf.Tensor4D),
    };
  },
};

function filterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Parameters<typeof tf.backend_util.computeConv2DInfo>[4],
  roundingMode: 'floor' | 'round' | 'ceil' | undefined,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, roundingMode);
    const { top, left } = info.padInfo;
    const [kh, kw, ci, co] = filterShape;
    // With a numeric pad tfjs may round the output size up, so the last window reaches past
    // padInfo's bottom/right: pad to exactly what the windows read (never less than zero).
    const bottom = Math.max(0, (info.outHeight - 1) * info.strideHeight + kh - x.shape[1] - top);
    const right = Math.max(0, (info.outWidth - 1) * info.strideWidth + kw - x.shape[2] - left);
    const xp =
      top + bottom + left + right > 0
        ? tf.pad(x, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ])
        : x;
    const xT = tf.transpose(xp, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const r = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    const cut = r.shape[1] === kh && r.shape[2] === kw ? r : tf.slice(r, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(cut, [1, 2, 0, 3]);
  });
}
