import type { Module } from '@tnzip/layers';
import { predict } from './predict.js';
import { IMAGE_SIZE } from './preprocess.js';

/** Latency of batch-1 inference in this browser: median and spread over `runs` timed samples, in ms per prediction. */
export interface Latency {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

/**
 * Times `runs` samples of batch-1 predictions of one normalized image `x` (784 values), each
 * prediction from tensor creation to the probabilities read back on the CPU (what a user waits for),
 * after `warmup` untimed runs that compile kernels / shaders. A sample is the mean of `inner`
 * back-to-back predictions, because pages that are not cross-origin isolated get `performance.now()`
 * rounded to 0.1 ms, about a third of one prediction. The median resists a busy machine's outliers.
 */
export async function measureLatency(
  model: Module,
  x: Float32Array,
  runs = 25,
  warmup = 3,
  inner = 4,
): Promise<Latency> {
  if (x.length !== IMAGE_SIZE) throw new RangeError(`measureLatency: x must hold 784 values, got ${x.length}`);
  for (let i = 0; i < warmup; i++) await predict(model, x, 1);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) await predict(model, x, 1);
    times.push((performance.now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median =
    times.length % 2 === 1 ? (times[mid] as number) : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
  return { medianMs: median, minMs: times[0] as number, maxMs: times[times.length - 1] as number, runs };
}
