import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import type { Module, Shape } from '../module.js';
import { type Padding, type Pads, resolvePads } from '../ops/conv-geometry.js';
import { int, ints, type OnnxGraphBuilder, type OnnxRef } from './onnx-builder.js';

/** What an {@link OnnxExporter} sees besides the module and its input. */
export interface OnnxExportContext {
  readonly builder: OnnxGraphBuilder;
  /** Full path of the module being written (`''` for the root). */
  readonly path: string;
  /** Base of the ONNX names of its nodes: its path with '.' → '_' (its name at the root). */
  readonly base: string;
  /** Writes a child module (containers call this so that every layer is reported). */
  readonly child: (child: Module, x: OnnxRef) => OnnxRef;
}

/** What an exporter returns: the output, and for a layer with weights how it was written. */
export interface OnnxExportResult {
  readonly output: OnnxRef;
  readonly form?: 'factorized' | 'reconstructed' | 'dense';
}

/** Writes one tnzip module as ONNX nodes reading `x`, keyed by module kind in `ONNX_EXPORTERS`. */
export type OnnxExporter = (module: Module, x: OnnxRef, ctx: OnnxExportContext) => OnnxExportResult;

/** INVALID_ARGUMENT naming a layer that has no ONNX form. */
export function noOnnxForm(module: Module, ctx: OnnxExportContext, why: string): TnzipError {
  return new TnzipError(
    'INVALID_ARGUMENT',
    `export: layer '${ctx.path || module.name}' (${module.kind}) ${why}; it has no ONNX form`,
  );
}

/** `x` stored channels-first (a Transpose when it is a plain rank-3 NHWC value). */
export function toNchw(b: OnnxGraphBuilder, x: OnnxRef, base: string): OnnxRef {
  if (x.layout === 'nchw') return x;
  if (x.shape.length !== 3)
    throw new TnzipError('SHAPE_MISMATCH', `export: '${base}' needs an image [H, W, C], got [${x.shape}]`);
  return {
    name: b.node('Transpose', [x.name], `${base}_nchw`, { perm: ints([0, 3, 1, 2]) }),
    shape: x.shape,
    layout: 'nchw',
  };
}

/** `x` in tnzip's own order (a Transpose back to NHWC when it is stored channels-first). */
export function toPlain(b: OnnxGraphBuilder, x: OnnxRef, base: string): OnnxRef {
  if (x.layout === 'plain') return x;
  return {
    name: b.node('Transpose', [x.name], `${base}_nhwc`, { perm: ints([0, 2, 3, 1]) }),
    shape: x.shape,
    layout: 'plain',
  };
}

/** The ONNX `pads` attribute `[top, left, bottom, right]`. */
export const onnxPads = (p: Pads): number[] => [p.top, p.left, p.bottom, p.right];

/** The explicit pads of a window over `x` (an image value). */
export function padsOver(
  x: OnnxRef,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: Padding,
  dilation: readonly [number, number] = [1, 1],
): Pads {
  const [h, w] = x.shape as [number, number, number];
  return resolvePads(h, w, kernel, stride, padding, dilation);
}

/** Output [H', W'] of a window with explicit pads. */
export function windowOut(
  x: OnnxRef,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  pads: Pads,
  dilation: readonly [number, number] = [1, 1],
): [number, number] {
  const [h, w] = x.shape as [number, number, number];
  return [
    Math.floor((h + pads.top + pads.bottom - (kernel[0] - 1) * dilation[0] - 1) / stride[0]) + 1,
    Math.floor((w + pads.left + pads.right - (kernel[1] - 1) * dilation[1] - 1) / stride[1]) + 1,
  ];
}

/** Geometry of one ONNX Conv. */
export interface ConvSpec {
  readonly stride: readonly [number, number];
  readonly pads: Pads;
  readonly dilation: readonly [number, number];
  readonly group: number;
}

/** A Conv of kernel `w` (OIHW: `[C_out, C_in / group, k_h, k_w]`) and optional bias over image `x`. */
export function convNode(
  b: OnnxGraphBuilder,
  base: string,
  x: OnnxRef,
  w: tf.Tensor,
  bias: tf.Tensor | null,
  spec: ConvSpec,
): OnnxRef {
  const xs = toNchw(b, x, base);
  const [cout, , kh, kw] = w.shape as [number, number, number, number];
  const inputs = [xs.name, b.weight(`${base}_W`, w)];
  if (bias !== null) inputs.push(b.weight(`${base}_B`, bias));
  const name = b.node('Conv', inputs, base, {
    kernel_shape: ints([kh, kw]),
    strides: ints(spec.stride),
    pads: ints(onnxPads(spec.pads)),
    dilations: ints(spec.dilation),
    group: int(spec.group),
  });
  const [oh, ow] = windowOut(xs, [kh, kw], spec.stride, spec.pads, spec.dilation);
  return { name, shape: [oh, ow, cout], layout: 'nchw' };
}

/** A conv of a tnzip HWIO kernel `[k_h, k_w, C_in, C_out]` with tnzip padding. */
export function convHwio(
  b: OnnxGraphBuilder,
  base: string,
  x: OnnxRef,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  stride: readonly [number, number],
  padding: Padding,
  dilation: readonly [number, number],
): OnnxRef {
  const [kh, kw] = kernel.shape as [number, number, number, number];
  const w = tf.transpose(kernel, [3, 2, 0, 1]);
  try {
    return convNode(b, base, x, w, bias, {
      stride,
      pads: padsOver(x, [kh, kw], stride, padding, dilation),
      dilation,
      group: 1,
    });
  } finally {
    w.dispose();
  }
}

/** A 1×1 conv of matrix `m` `[C_in, C_out]` (no padding, stride 1). */
export function pointwise(
  b: OnnxGraphBuilder,
  base: string,
  x: OnnxRef,
  m: tf.Tensor,
  bias: tf.Tensor | null,
): OnnxRef {
  const [cin, cout] = m.shape as [number, number];
  const w = tf.tidy(() => tf.reshape(tf.transpose(m), [cout, cin, 1, 1]));
  try {
    const none = { top: 0, bottom: 0, left: 0, right: 0 };
    return convNode(b, base, x, w, bias, { stride: [1, 1], pads: none, dilation: [1, 1], group: 1 });
  } finally {
    w.dispose();
  }
}

/** Brings several values to one layout (channels-first if any is), for Add / Concat. */
export function sameLayout(b: OnnxGraphBuilder, xs: readonly OnnxRef[], base: string): OnnxRef[] {
  const nchw = xs.some((x) => x.layout === 'nchw') && xs.every((x) => x.shape.length === 3);
  return xs.map((x) => (nchw ? toNchw(b, x, base) : toPlain(b, x, base)));
}

/** Per-example shape after an elementwise op on same-shaped inputs. */
export const shapeOf = (x: OnnxRef): Shape => [...x.shape];
