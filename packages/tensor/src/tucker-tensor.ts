import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { modeProduct, modeProduct64, shrinkOrder } from './mode-product.js';
import { checkModes, checkRank, checkShape, checkTensor } from './validate.js';

/**
 * A (partial) Tucker tensor, `x ≈ core ×_{modes[0]} factors[0] ×_{modes[1]} factors[1] …`
 * (TensorLy's `TuckerTensor`; with `modes` a strict subset it is TensorLy's `partial_tucker`).
 *
 * - `core`: the shape of x with `shape[modes[i]]` replaced by `ranks[i]`;
 * - `factors[i]`: `[shape[modes[i]], ranks[i]]`, orthonormal columns when produced by
 *   `hosvd`/`hooi`;
 * - `modes`: the factorized axes, distinct; axes not listed are kept whole.
 */
export interface TuckerTensor {
  core: tf.Tensor;
  factors: tf.Tensor2D[];
  modes: number[];
}

/** Float64 {@link TuckerTensor}. */
export interface Tucker64 {
  core: Tensor64;
  factors: Matrix64[];
  modes: number[];
}

function checkTucker(
  coreShape: readonly number[],
  factorShapes: readonly (readonly number[])[],
  modes: readonly number[],
): void {
  if (factorShapes.length !== modes.length) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `factors and modes must have the same length, got ${factorShapes.length} and ${modes.length}`,
    );
  }
  checkModes(modes, coreShape.length, 'modes');
  factorShapes.forEach((s, i) => {
    const r = coreShape[modes[i] as number];
    if (s.length !== 2 || s[1] !== r) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `factors[${i}] must have shape [I, ${r}] (core.shape[${modes[i]}] = ${r}), got [${s.join(', ')}]`,
      );
    }
  });
}

/**
 * Reconstructs the full tensor `core ×_{modes[i]} factors[i]` with differentiable tfjs ops,
 * expanding the least-growing modes first.
 *
 * @returns shape of the core with `shape[modes[i]] = factors[i].shape[0]` (new tensor)
 */
export function tuckerToTensor(t: TuckerTensor): tf.Tensor {
  checkTensor(t.core, 'core');
  t.factors.forEach((f, i) => {
    checkTensor(f, `factors[${i}]`);
  });
  checkTucker(
    t.core.shape,
    t.factors.map((f) => f.shape),
    t.modes,
  );
  const order = shrinkOrder(t.factors.map((f) => [f.shape[1] as number, f.shape[0] as number]));
  return tf.tidy(() => {
    let y = t.core;
    for (const i of order) y = modeProduct(y, t.factors[i] as tf.Tensor2D, t.modes[i] as number);
    return y === t.core ? tf.clone(y) : y;
  });
}

/** Float64 {@link tuckerToTensor}. */
export function tuckerToTensor64(t: Tucker64): Tensor64 {
  checkTucker(
    t.core.shape,
    t.factors.map((f) => [f.rows, f.cols]),
    t.modes,
  );
  const order = shrinkOrder(t.factors.map((f) => [f.cols, f.rows]));
  let y = t.core;
  for (const i of order) y = modeProduct64(y, t.factors[i] as Matrix64, t.modes[i] as number);
  return y === t.core ? { shape: [...y.shape], data: y.data.slice() } : y;
}

/**
 * Resolves and validates `(ranks, modes)` against `shape`: modes default to every axis,
 * must be distinct and valid (INVALID_MODE), `ranks.length === modes.length`
 * (SHAPE_MISMATCH), each `ranks[i]` an integer in `[1, shape[modes[i]]]` (INVALID_RANK).
 */
export function resolveTuckerRanks(
  shape: readonly number[],
  ranks: readonly number[],
  modes?: readonly number[],
): number[] {
  const ms = modes === undefined ? shape.map((_, i) => i) : [...modes];
  checkModes(ms, shape.length, 'modes');
  if (!Array.isArray(ranks) || ranks.length !== ms.length) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `ranks must have one entry per factorized mode (${ms.length}), got ${Array.isArray(ranks) ? ranks.length : String(ranks)}`,
    );
  }
  ranks.forEach((r, i) => {
    checkRank(r, shape[ms[i] as number] as number, `ranks[${i}]`);
  });
  return ms;
}

/**
 * Number of parameters of a Tucker tensor: `Π_k coreShape_k + Σ_i shape[modes[i]] · ranks[i]`,
 * where the core keeps the unfactorized axes at full size.
 *
 * @param modes default: every axis
 */
export function tuckerParams(shape: readonly number[], ranks: readonly number[], modes?: readonly number[]): number {
  checkShape(shape, 'shape');
  const ms = resolveTuckerRanks(shape, ranks, modes);
  const core = [...shape];
  let factors = 0;
  ms.forEach((m, i) => {
    core[m] = ranks[i] as number;
    factors += (shape[m] as number) * (ranks[i] as number);
  });
  return core.reduce((a, b) => a * b, 1) + factors;
}
