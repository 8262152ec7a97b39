import * as tf from '@tensorflow/tfjs-core';
import { type ExecutionTarget, type LayerPlan, type Module, type TimingOptions, timeInterleaved } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { CompressibleLayer } from './compressible.js';
import type { LatencyBudget } from './latency-budget.js';
import { type LatencyEntry, LatencyTable } from './latency-table.js';
import type { SelectionContext } from './selector.js';

/** How latency is measured: the options `latencySelector` and `checkLatencyReachable` share. */
export interface LatencyMeasureOptions {
  readonly batch?: number;
  readonly threads?: number;
  readonly table?: LatencyTable;
  readonly timing?: TimingOptions;
}

/** A latency measurement's batch, table and row timing. */
export interface LatencyMeasure {
  readonly batch: number;
  readonly table: LatencyTable;
  readonly timing: TimingOptions;
}

/**
 * `options` resolved: the batch (default 64, an integer in [1, 4096]), the table (default: a new
 * one) and each row's timing (default warm-up 2, 5 rounds).
 *
 * @throws TnzipError INVALID_ARGUMENT for a bad batch
 */
export function latencyMeasure(options: LatencyMeasureOptions): LatencyMeasure {
  const batch = options.batch ?? 64;
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096)
    throw new TnzipError('INVALID_ARGUMENT', `options.batch must be an integer in [1, 4096], got ${String(batch)}`);
  return { batch, table: options.table ?? new LatencyTable(), timing: { warmup: 2, rounds: 5, ...options.timing } };
}

/** Throws INVALID_ARGUMENT unless `context` gives the input shape of one example. */
export function checkLatencyContext(context: SelectionContext): void {
  if (context === null || typeof context !== 'object' || !Array.isArray(context.inputShape))
    throw new TnzipError('INVALID_ARGUMENT', 'context.inputShape must be the input shape of one example');
}

/**
 * The share of the whole model's time spent outside `layers`, from one interleaved run of the
 * whole model and each dense layer on its own input: `max(0, whole − Σ layers) / Σ layers`.
 */
export async function restShare(
  model: Module,
  shape: readonly number[],
  layers: readonly CompressibleLayer[],
  batch: number,
  timing: TimingOptions,
): Promise<number> {
  const xs = [shape, ...layers.map((c) => c.inputShape)].map((s, i) =>
    tf.randomNormal([batch, ...s], 0, 1, 'float32', 3 + i),
  );
  try {
    const fns = [model, ...layers.map((c) => c.layer)].map(
      (m, i) => (): tf.Tensor => m.apply(xs[i] as tf.Tensor, { training: false }),
    );
    const [whole, ...parts] = await timeInterleaved(fns, timing);
    const sum = parts.reduce((a, v) => a + v, 0);
    return Math.max(0, (whole as number) - sum) / sum;
  } finally {
    tf.dispose(xs);
  }
}

/** Times one layer's plan (a latency-table row). */
export type LatencyRow = (c: CompressibleLayer, plan: LayerPlan) => Promise<LatencyEntry>;

/** The row of `plan` on layer `c` in `m`'s table, measured on the active backend (`target`) if absent. */
export function tableRow(m: LatencyMeasure, target: ExecutionTarget): LatencyRow {
  return (c, plan) => m.table.measure(c.layer, plan, c.inputShape, m.batch, target, m.timing);
}

/**
 * The dense side of a latency budget: each compressible layer's dense time (`row`), their sum,
 * and the time of the rest of the model ({@link restShare} of that sum), ms at `m.batch`.
 */
export async function denseLatency(
  model: Module,
  shape: readonly number[],
  layers: readonly CompressibleLayer[],
  row: LatencyRow,
  m: LatencyMeasure,
): Promise<{ dense: number[]; layersDense: number; rest: number }> {
  const dense: number[] = [];
  for (const c of layers) dense.push((await row(c, { kind: 'dense' })).ms);
  const layersDense = dense.reduce((a, v) => a + v, 0);
  const rest = layersDense * (await restShare(model, shape, layers, m.batch, m.timing));
  return { dense, layersDense, rest };
}

/**
 * The most the compressible layers may take under `lb`, ms: `target · Σ dense` (scope
 * `'layers'`), or `target · (rest + Σ dense) − rest` (scope `'model'`).
 *
 * @throws TnzipError INVALID_BUDGET when the rest of the model alone exceeds a whole-model target
 */
export function latencyLimit(lb: LatencyBudget, rest: number, layersDense: number, who: string): number {
  const limit = (lb.scope ?? 'layers') === 'model' ? lb.target * (rest + layersDense) - rest : lb.target * layersDense;
  if (!(limit > 0))
    throw new TnzipError(
      'INVALID_BUDGET',
      `${who}: latency target ${lb.target} of the whole model is below what the layers left uncompressed take (${(rest / (rest + layersDense)).toPrecision(3)} of it)`,
    );
  return limit;
}
