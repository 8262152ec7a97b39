import * as tf from '@tensorflow/tfjs-core';
import type { CPConv2d } from '../factorized/cp-conv2d.js';
import { convNode, type OnnxExporter, padsOver, pointwise } from './onnx-common.js';

/**
 * CP conv → Conv 1×1 (S→R) → grouped Conv k_h×1 (group = R: the R vertical filters, the rows'
 * stride, dilation and pads) → grouped Conv 1×k_w (the columns') → Conv 1×1 (R→T, bias). The
 * pads split exactly into the two passes ('same' pads of an axis depend on that axis alone), so
 * the R·(k_h + k_w) separable scalars stay as they are.
 */
export const onnxCP: OnnxExporter = (module, x, ctx) => {
  const m = module as CPConv2d;
  const b = ctx.builder;
  const g = m.geometry;
  const [kh, kw] = g.kernelSize;
  const r = m.rank;
  const pads = padsOver(x, g.kernelSize, g.stride, g.padding, g.dilation);
  let y = pointwise(b, `${ctx.base}_in`, x, m.first, null);
  const [v, h] = tf.tidy(() => [
    tf.reshape(tf.transpose(m.vertical), [r, 1, kh, 1]),
    tf.reshape(tf.transpose(m.horizontal), [r, 1, 1, kw]),
  ]);
  try {
    y = convNode(b, `${ctx.base}_vertical`, y, v as tf.Tensor, null, {
      stride: [g.stride[0], 1],
      pads: { top: pads.top, bottom: pads.bottom, left: 0, right: 0 },
      dilation: [g.dilation[0], 1],
      group: r,
    });
    y = convNode(b, `${ctx.base}_horizontal`, y, h as tf.Tensor, null, {
      stride: [1, g.stride[1]],
      pads: { top: 0, bottom: 0, left: pads.left, right: pads.right },
      dilation: [1, g.dilation[1]],
      group: r,
    });
  } finally {
    tf.dispose([v as tf.Tensor, h as tf.Tensor]);
  }
  return { output: pointwise(b, `${ctx.base}_out`, y, m.last, m.bias), form: 'factorized' };
};
