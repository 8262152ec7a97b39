/**
 * Gradient registrations that every layer file imports (a side-effect module).
 *
 * 1. tfjs-core's Node build (`dist/tf-core.node.js`) registers no gradients, so
 *    `tf.variableGrads` fails on every op until tfjs-core's own registrations are loaded.
 *    `vendor/tfjs-core-gradients.js` holds those registrations bundled into one file plain Node
 *    loads (made by scripts/bundle-tfjs-gradients.mjs; the same relative path from src/ and dist/);
 *    browser bundles get `vendor/tfjs-core-gradients.browser.js` instead (package.json "browser"),
 *    which imports tfjs-core's own `dist/register_all_gradients`.
 * 2. Then the gradients of `Conv2D` and `BatchMatMul` are replaced by versions that use only fast
 *    forward kernels: tfjs-backend-wasm has no Conv2DBackpropFilter kernel, a Conv2DBackpropInput
 *    ~10x slower than its forward conv, and runs matMul with transposeA / transposeB ~15x slower
 *    than a plain matMul. The replacements are exact (same maths), support dilation (tfjs's
 *    Conv2D gradient does not), and stay lazy: only the gradients the tape needs are computed.
 * 3. The MaxPool gradient is replaced by one that works around a tfjs-backend-wasm bug for
 *    all-negative pooling windows and, on wasm, runs a faster JavaScript kernel
 *    (max-pool-gradient.ts, max-pool-grad-wasm.ts).
 */
import '../../vendor/tfjs-core-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { filterGrad, inputGrad } from './conv-gradients.js';
import { maxPoolGrad } from './max-pool-gradient.js';

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

/** y = op(a)·op(b): dA = dy·op(b)ᵀ, dB = op(a)ᵀ·dy, mapped back through op; transposes explicit. */
const batchMatMulGrad: tf.GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const d = dy as tf.Tensor;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return { a: () => tf.matMul(d, swapLast(b)), b: () => tf.matMul(swapLast(a), d) };
    if (!transposeA && transposeB) return { a: () => tf.matMul(d, b), b: () => tf.matMul(swapLast(d), a) };
    if (transposeA && !transposeB) return { a: () => tf.matMul(b, swapLast(d)), b: () => tf.matMul(a, d) };
    return { a: () => tf.matMul(swapLast(b), swapLast(d)), b: () => tf.matMul(swapLast(d), swapLast(a)) };
  },
};

const stock = new Map<string, tf.GradConfig>();

/** The Conv2D gradient as forward convolutions (maths in fast-conv2d.ts). */
const conv2dGrad: tf.GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as {
      strides: number | [number, number];
      pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dilations: number | [number, number];
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (dataFormat === 'NCHW') {
      // tnzip never builds NCHW convs; keep tfjs's own gradient for them.
      return (stock.get('Conv2D') as tf.GradConfig).gradFunc(dy, saved, attrs);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filter.shape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const pads = {
      top: info.padInfo.top,
      bottom: info.padInfo.bottom,
      left: info.padInfo.left,
      right: info.padInfo.right,
    };
    const s: [number, number] = [info.strideHeight, info.strideWidth];
    const dl: [number, number] = [info.dilationHeight, info.dilationWidth];
    const d = dy as tf.Tensor4D;
    return {
      x: () => inputGrad(d, filter, x.shape, s, pads, dl),
      filter: () => filterGrad(d, x, filter.shape, s, pads, dl),
    };
  },
};

for (const g of [conv2dGrad, batchMatMulGrad]) {
  const prev = tf.getGradient(g.kernelName);
  if (prev !== undefined && prev !== conv2dGrad && prev !== batchMatMulGrad) stock.set(g.kernelName, prev);
  tf.registerGradient(g);
}
tf.registerGradient(maxPoolGrad);

/**
 * Runs `fn` with tfjs's stock gradients for Conv2D and BatchMatMul (for comparisons and tests),
 * then restores the fast ones.
 */
export function withStockGradients<T>(fn: () => T): T {
  for (const g of stock.values()) tf.registerGradient(g);
  try {
    return fn();
  } finally {
    tf.registerGradient(conv2dGrad);
    tf.registerGradient(batchMatMulGrad);
  }
}
