import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { FactorizedModule } from '../factorized/factorized-module.js';
import type { Module, Shape } from '../module.js';
import { type TimingOptions, timeInterleaved } from './time-interleaved.js';

/** Whole-model latency of a compressed model against its dense parent, per batch size. */
export interface ModelSpeed {
  readonly batches: readonly number[];
  /** Median ms per batch of the compressed model and of the dense parent. */
  readonly ms: readonly number[];
  readonly denseMs: readonly number[];
  /** `ms[b] / denseMs[b]`. */
  readonly ratios: readonly number[];
}

/**
 * Times `model` against its dense parent — the same model with every factorized layer replaced
 * by its dense equivalent (`toDense()`; swapped in and out between calls, so both run on the same
 * inputs, interleaved) — at each of `batches` on seeded random inputs of `inputShape`.
 */
export async function compareWithDense(
  model: Module,
  inputShape: Shape,
  batches: readonly number[] = [1, 64],
  options: TimingOptions = {},
): Promise<ModelSpeed> {
  if (!Array.isArray(batches) || batches.length === 0)
    throw new TnzipError('INVALID_ARGUMENT', `batches must be a non-empty list, got ${JSON.stringify(batches)}`);
  const swaps: Array<{ parent: Module; factorized: Module; dense: Module }> = [];
  for (const [p, m] of model.namedModules())
    for (const c of m.children()) {
      const toDense = (c as unknown as { toDense?: () => Module }).toDense;
      if (c instanceof FactorizedModule && typeof toDense === 'function')
        swaps.push({ parent: m, factorized: c, dense: toDense.call(c) });
      void p;
    }
  const as = (which: 'factorized' | 'dense'): void => {
    for (const s of swaps) s.parent.replaceChild(s.factorized.name, s[which]);
  };
  const ms: number[] = [];
  const denseMs: number[] = [];
  try {
    for (const n of batches) {
      const x = tf.randomNormal([n, ...inputShape], 0, 1, 'float32', 11);
      try {
        const run = (which: 'factorized' | 'dense') => (): tf.Tensor => {
          as(which);
          return model.apply(x, { training: false });
        };
        const [a, b] = await timeInterleaved([run('factorized'), run('dense')], options);
        ms.push(a as number);
        denseMs.push(b as number);
      } finally {
        x.dispose();
      }
    }
  } finally {
    as('factorized');
    for (const s of swaps) s.dense.dispose();
  }
  return { batches: [...batches], ms, denseMs, ratios: ms.map((v, i) => v / (denseMs[i] as number)) };
}
