import { TnzipError } from '@tnzip/tensor';
import type { Module, Shape } from '../module.js';
import { convOutputShape, type Padding } from '../ops/conv-geometry.js';
import type { KerasModelBuilder, KerasRef } from './export-builder.js';

/** What a {@link KerasExporter} sees besides the module and its input. */
export interface ExportContext {
  readonly builder: KerasModelBuilder;
  /** Full path of the module being written (`''` for the root). */
  readonly path: string;
  /** Keras name of the module: its path with '.' → '_' (its name at the root), e.g. `layer1_0_conv1`. */
  readonly base: string;
  /** Writes a child module (containers call this so that every layer is reported). */
  readonly child: (child: Module, x: KerasRef) => KerasRef;
}

/** What an exporter returns: the output, and for a layer with weights how it was written. */
export interface ExportResult {
  readonly output: KerasRef;
  readonly form?: 'factorized' | 'reconstructed' | 'dense';
}

/**
 * Writes one tnzip module as stock Keras layers reading `x`. Exporters are plain functions keyed
 * by module kind (see `KERAS_EXPORTERS`), so each factorized kind's descriptor can carry its own.
 */
export type KerasExporter = (module: Module, x: KerasRef, ctx: ExportContext) => ExportResult;

/** INVALID_ARGUMENT for a module that has no stock Keras form. */
export function noStockForm(module: Module, ctx: ExportContext, why: string): TnzipError {
  return new TnzipError(
    'INVALID_ARGUMENT',
    `export: layer '${ctx.path || module.name}' (${module.kind}) ${why}; it cannot be written as stock tfjs layers`,
  );
}

/** Keras `padding` for a tnzip conv padding, inserting a ZeroPadding2D for explicit pads. */
export function kerasPadding(
  padding: Padding,
  x: KerasRef,
  b: KerasModelBuilder,
  base: string,
): { x: KerasRef; padding: 'same' | 'valid' } {
  if (padding === 'same' || padding === 'valid') return { x, padding };
  const p: readonly (readonly [number, number])[] =
    typeof padding === 'number'
      ? [
          [padding, padding],
          [padding, padding],
        ]
      : padding;
  const [[t, bt], [l, r]] = p as [[number, number], [number, number]];
  if (t + bt + l + r === 0) return { x, padding: 'valid' };
  const [h, w, c] = x.shape as [number, number, number];
  const padded = b.layer(
    'ZeroPadding2D',
    `${base}_pad`,
    {
      padding: [
        [t, bt],
        [l, r],
      ],
      data_format: 'channels_last',
    },
    [x],
    [h + t + bt, w + l + r, c],
  );
  return { x: padded, padding: 'valid' };
}

/** The snake_case config of a Keras Conv2D. */
export function conv2dConfig(
  filters: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: 'same' | 'valid',
  dilation: readonly [number, number],
  useBias: boolean,
): Record<string, unknown> {
  return {
    filters,
    kernel_size: [...kernel],
    strides: [...stride],
    padding,
    data_format: 'channels_last',
    dilation_rate: [...dilation],
    activation: 'linear',
    use_bias: useBias,
  };
}

/** The snake_case config of a Keras DepthwiseConv2D (depth multiplier 1 unless given). */
export function depthwiseConfig(
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: 'same' | 'valid',
  dilation: readonly [number, number],
  useBias: boolean,
  depthMultiplier = 1,
): Record<string, unknown> {
  return {
    kernel_size: [...kernel],
    strides: [...stride],
    padding,
    data_format: 'channels_last',
    dilation_rate: [...dilation],
    depth_multiplier: depthMultiplier,
    activation: 'linear',
    use_bias: useBias,
  };
}

/** Output shape of a conv of the given geometry over `x`. */
export function convShape(
  x: KerasRef,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: 'same' | 'valid',
  dilation: readonly [number, number],
  channels: number,
): Shape {
  return convOutputShape(x.shape, [...kernel], [...stride], padding, [...dilation], channels);
}
