import * as tf from '@tensorflow/tfjs-core';
import type { CPConv2d } from '../factorized/cp-conv2d.js';
import { convShape, depthwiseConfig, type KerasExporter, kerasPadding } from './export-common.js';
import { pointwise } from './export-tucker2.js';

/**
 * CP conv → 1×1 Conv2D (S→R) → DepthwiseConv2D k_h×1 (the rows' stride/dilation) →
 * DepthwiseConv2D 1×k_w (the columns') → 1×1 Conv2D (R→T, bias). 'same' splits exactly into
 * the two passes (each axis' pads depend on that axis alone); explicit pads become a ZeroPadding2D.
 */
export const exportCP: KerasExporter = (module, x, ctx) => {
  const m = module as CPConv2d;
  const b = ctx.builder;
  const g = m.geometry;
  const [kh, kw] = g.kernelSize;
  const r = m.rank;
  let y = pointwise(ctx, `${ctx.base}_in`, x, m.first, null);
  const p = kerasPadding(g.padding, y, b, ctx.base);
  y = p.x;
  const v = tf.reshape(m.vertical, [kh, 1, r, 1]);
  const vs: [number, number] = [g.stride[0], 1];
  const vd: [number, number] = [g.dilation[0], 1];
  y = b.layer(
    'DepthwiseConv2D',
    `${ctx.base}_vertical`,
    depthwiseConfig([kh, 1], vs, p.padding, vd, false),
    [y],
    convShape(y, [kh, 1], vs, p.padding, vd, r),
    [['depthwise_kernel', v]],
  );
  const h = tf.reshape(m.horizontal, [1, kw, r, 1]);
  const hs: [number, number] = [1, g.stride[1]];
  const hd: [number, number] = [1, g.dilation[1]];
  y = b.layer(
    'DepthwiseConv2D',
    `${ctx.base}_horizontal`,
    depthwiseConfig([1, kw], hs, p.padding, hd, false),
    [y],
    convShape(y, [1, kw], hs, p.padding, hd, r),
    [['depthwise_kernel', h]],
  );
  tf.dispose([v, h]);
  return { output: pointwise(ctx, `${ctx.base}_out`, y, m.last, m.bias), form: 'factorized' };
};
