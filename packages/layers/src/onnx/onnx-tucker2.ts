import type { Tucker2Conv2d } from '../factorized/tucker2-conv2d.js';
import { convHwio, type OnnxExporter, pointwise } from './onnx-common.js';

/**
 * Tucker-2 conv → three Conv: 1×1 (S→R_S), k×k (R_S→R_T, the original stride, pads and
 * dilation), 1×1 (R_T→T, bias); a null rank drops its 1×1. A no-bias 1×1 maps zeros to zeros,
 * so padding the core's input instead of the layer's is exact.
 */
export const onnxTucker2: OnnxExporter = (module, x, ctx) => {
  const m = module as Tucker2Conv2d;
  const b = ctx.builder;
  const g = m.geometry;
  let y = x;
  if (m.first !== null) y = pointwise(b, `${ctx.base}_in`, y, m.first, null);
  y = convHwio(b, `${ctx.base}_core`, y, m.core, m.last === null ? m.bias : null, g.stride, g.padding, g.dilation);
  if (m.last !== null) y = pointwise(b, `${ctx.base}_out`, y, m.last, m.bias);
  return { output: y, form: 'factorized' };
};
