import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tnzip/layers';

/** Median inference latency in milliseconds at batch 1 and batch 64. */
export interface Latency {
  readonly batch1Ms: number;
  readonly batch64Ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Times `model` in evaluation mode on random inputs of `[batch, ...inputShape]`: `warmup` untimed
 * passes, then the median of `runs` passes, each ending with a read of the logits (so the time
 * covers the backend's work, not just its scheduling). Leaves no tensor behind.
 */
export async function measureLatency(
  model: Module,
  inputShape: readonly number[],
  runs = { b1: 30, b64: 10 },
  warmup = 3,
): Promise<Latency> {
  const time = async (batch: number, n: number): Promise<number> => {
    const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 1);
    try {
      // Each run includes reading the output back (await data(): the read path on every backend).
      const once = async (): Promise<number> => {
        const t0 = performance.now();
        const y = tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor);
        try {
          await y.data();
        } finally {
          y.dispose();
        }
        return performance.now() - t0;
      };
      for (let i = 0; i < warmup; i++) await once();
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(await once());
      return median(times);
    } finally {
      x.dispose();
    }
  };
  return { batch1Ms: await time(1, runs.b1), batch64Ms: await time(64, runs.b64) };
}
