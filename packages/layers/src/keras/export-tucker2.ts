import * as tf from '@tensorflow/tfjs-core';
import type { Tucker2Conv2d } from '../factorized/tucker2-conv2d.js';
import type { KerasRef } from './export-builder.js';
import { conv2dConfig, convShape, type ExportContext, type KerasExporter, kerasPadding } from './export-common.js';

/** A 1×1 Conv2D `[C_in → C_out]` of matrix `w` `[C_in, C_out]`, optional bias. */
export function pointwise(
  ctx: ExportContext,
  base: string,
  x: KerasRef,
  w: tf.Tensor,
  bias: tf.Tensor | null,
): KerasRef {
  const [cin, cout] = w.shape as [number, number];
  const k = tf.reshape(w, [1, 1, cin, cout]);
  const [h, wd] = x.shape as [number, number, number];
  const out = ctx.builder.layer(
    'Conv2D',
    base,
    conv2dConfig(cout, [1, 1], [1, 1], 'valid', [1, 1], bias !== null),
    [x],
    [h, wd, cout],
    bias === null
      ? [['kernel', k]]
      : [
          ['kernel', k],
          ['bias', bias],
        ],
  );
  k.dispose();
  return out;
}

/**
 * The k×k Conv2D of a factorized conv chain with the original stride/padding/dilation (a
 * ZeroPadding2D first for explicit pads; a no-bias 1×1 before it maps zeros to zeros, so
 * padding after it is exact).
 */
export function coreConv(
  ctx: ExportContext,
  base: string,
  x: KerasRef,
  geometry: Tucker2Conv2d['geometry'],
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
): KerasRef {
  const p = kerasPadding(geometry.padding, x, ctx.builder, base);
  const [kh, kw, , t] = kernel.shape as [number, number, number, number];
  const shape = convShape(p.x, [kh, kw], geometry.stride, p.padding, geometry.dilation, t);
  const cfg = conv2dConfig(t, [kh, kw], geometry.stride, p.padding, geometry.dilation, bias !== null);
  return ctx.builder.layer(
    'Conv2D',
    base,
    cfg,
    [p.x],
    shape,
    bias === null
      ? [['kernel', kernel]]
      : [
          ['kernel', kernel],
          ['bias', bias],
        ],
  );
}

/** Tucker-2 conv → 1×1 Conv2D (S→R_S) → k×k Conv2D (R_S→R_T) → 1×1 Conv2D (R_T→T, bias); a null rank drops its 1×1. */
export const exportTucker2: KerasExporter = (module, x, ctx) => {
  const m = module as Tucker2Conv2d;
  let y = x;
  if (m.first !== null) y = pointwise(ctx, `${ctx.base}_in`, y, m.first, null);
  y = coreConv(ctx, `${ctx.base}_core`, y, m.geometry, m.core, m.last === null ? m.bias : null);
  if (m.last !== null) y = pointwise(ctx, `${ctx.base}_out`, y, m.last, m.bias);
  return { output: y, form: 'factorized' };
};
