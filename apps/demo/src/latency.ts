import type { Module } from '@tnzip/layers';
import { predict } from './predict.js';
import { IMAGE_SIZE } from './preprocess.js';

/** Latency of batch-1 inference in this browser: median and spread over `runs` timed predictions, in ms. */
export interface Latency {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

/**
 * Times `runs` batch-1 predictions of one normalized image `x` (784 values), each from tensor creation
 * to the probabilities read back on the CPU (what a user waits for), after `warmup` untimed runs that
 * compile kernels / shaders. The median resists the outliers of a busy machine.
 */
export async function measureLatency(model: Module, x: Float32Array, runs = 25, warmup = 3): Promise<Latency> {
  if (x.length !== IMAGE_SIZE) throw new RangeError(`measureLatency: x must hold 784 values, got ${x.length}`);
  for (let i = 0; i < warmup; i++) await predict(model, x, 1);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await predict(model, x, 1);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median =
    times.length % 2 === 1 ? (times[mid] as number) : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
  return { medianMs: median, minMs: times[0] as number, maxMs: times[times.length - 1] as number, runs };
}
