import { Conv2d, Linear } from '@tnzip/layers';
import { checkInt, fromTf, TnzipError } from '@tnzip/tensor';
import { adaMatrixRankCapMeasured, type MatrixRankCap } from './ada-rank-cap.js';
import { modeSpectra, spectralTails } from './ada-spectra.js';
import type { CompressibleLayer } from './compressible.js';

/** One compressible layer as the ADA/SCADA selectors see it. */
export interface AdaLayer {
  readonly c: CompressibleLayer;
  /** Entries of the weight tensor. */
  readonly n: number;
  /** Entries of the bias (0 without one). */
  readonly bias: number;
  /** The weight as the matrix [inputs × outputs]: rows = n / cols, cols = output channels / features. */
  readonly rows: number;
  readonly cols: number;
  /** Its entries, row-major in the layer's weight layout (outputs last). */
  readonly data: Float64Array;
  /** `‖W‖²` (1 for an all-zero weight, so relative errors stay finite). */
  readonly energy: number;
  /** The matrix rank the plan must leave the layer (1: no requirement). */
  readonly required: number;
}

/** A layer's weight reshaped to `dims`, with its relative HOSVD tails (`tails[i][r]`, divided by ‖W‖²). */
export interface AdaShape {
  readonly dims: number[];
  readonly tails: Float64Array[];
}

/**
 * The ADA layers of `cs`; `required` by path (validated here), default the classifier rule:
 * `classifier` (the model's last Conv2d / Linear, when it is a Linear and among `cs`) keeps
 * `min(inFeatures, outFeatures)`.
 */
export function adaLayers(
  cs: readonly CompressibleLayer[],
  required: Readonly<Record<string, number>> = {},
  classifier: string | null = cs[cs.length - 1]?.path ?? null,
): AdaLayer[] {
  if (required === null || typeof required !== 'object')
    throw new TnzipError('INVALID_ARGUMENT', 'options.required must be an object of layer path → matrix rank');
  const paths = new Set(cs.map((c) => c.path));
  for (const [p, v] of Object.entries(required)) {
    if (!paths.has(p))
      throw new TnzipError('INVALID_ARGUMENT', `options.required names '${p}', which is not a compressible layer`);
    checkInt(v, `options.required['${p}']`, 1);
  }
  return cs.map((c) => {
    const l = c.layer;
    const cols = l instanceof Conv2d ? l.outChannels : l.outFeatures;
    const n = l instanceof Conv2d ? l.kernelSize[0] * l.kernelSize[1] * l.inChannels * cols : l.inFeatures * cols;
    const data = fromTf(l.weight, `${c.path}.weight`).data;
    let energy = 0;
    for (let k = 0; k < data.length; k++) energy += (data[k] as number) ** 2;
    // The classifier must keep a rank of its classes.
    const classes = c.path === classifier && l instanceof Linear ? Math.min(l.inFeatures, cols) : 1;
    return {
      c,
      n,
      bias: l.bias === null ? 0 : l.bias.size,
      rows: n / cols,
      cols,
      data,
      energy: energy > 0 ? energy : 1,
      required: required[c.path] ?? classes,
    };
  });
}

/** {@link AdaShape} of `layer` at `dims`. */
export function adaShape(layer: AdaLayer, dims: readonly number[]): AdaShape {
  const tails = spectralTails(modeSpectra(layer.data, dims)).map((t) => t.map((v) => v / layer.energy));
  return { dims: [...dims], tails };
}

/** The estimated relative squared error `Σ_i tails[i][r_i]` (an upper bound for the HOSVD truncation). */
export function shapeError(shape: AdaShape, ranks: readonly number[]): number {
  return shape.tails.reduce((a, t, i) => a + (t[Math.min(ranks[i] as number, t.length - 1)] as number), 0);
}

/**
 * One layer's line of the plan report: its maximum matrix rank under the plan and what it must
 * keep. `ok` is false when the cap is below `required`, and also when the bound is neither
 * structural nor measured (a large layer whose dims do not split between inputs and outputs:
 * the rank it can reach is not known, so a requirement above 1 is not guaranteed).
 */
export interface RankCapReport extends MatrixRankCap {
  readonly measured: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly required: number;
  readonly ok: boolean;
}

/** {@link RankCapReport} of a layer with `dims`, `ranks`. */
export function rankCapReport(layer: AdaLayer, dims: readonly number[], ranks: readonly number[]): RankCapReport {
  const cap = adaMatrixRankCapMeasured(dims, ranks, layer.rows, layer.cols);
  const known = cap.structural || cap.measured || layer.required <= 1;
  return {
    ...cap,
    rows: layer.rows,
    cols: layer.cols,
    required: layer.required,
    ok: known && cap.cap >= layer.required,
  };
}

/** Progress of a layer's rank floor: done when its cap reaches `required`; progress ranks candidates. */
export function capProgress(
  layer: AdaLayer,
  dims: readonly number[],
  ranks: readonly number[],
): { done: boolean; progress: number } {
  const c = adaMatrixRankCapMeasured(dims, ranks, layer.rows, layer.cols);
  const slack = c.terms.reduce((a, t) => a + Math.log(Math.min(t, layer.required)), 0);
  const known = c.structural || c.measured;
  return {
    done: known && c.cap >= layer.required,
    progress: (known ? Math.min(c.cap, layer.required) : 0) * 1e3 + slack,
  };
}
