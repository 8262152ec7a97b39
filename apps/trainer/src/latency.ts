import * as tf from '@tensorflow/tfjs-core';
import { type Module, type TimingOptions, timeInterleaved } from '@tnzip/layers';

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

/**
 * Median latency of `dense` and `compressed` at batch 1 and 64, measured interleaved
 * (`timeInterleaved`: each round runs both, alternating which goes first), so a load change on a
 * shared machine hits both alike and their ratio holds where absolute times do not. Inputs are
 * seeded random `[batch, ...inputShape]`; every output is read back and disposed.
 */
export async function measurePairLatency(
  dense: Module,
  compressed: Module,
  inputShape: readonly number[],
  timing: TimingOptions = { warmup: 5, rounds: 21, minMs: 20 },
): Promise<{ dense: Latency; compressed: Latency }> {
  const at = async (batch: number): Promise<number[]> => {
    const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 1);
    try {
      const run = (m: Module) => (): tf.Tensor => m.apply(x, { training: false });
      return await timeInterleaved([run(dense), run(compressed)], timing);
    } finally {
      x.dispose();
    }
  };
  const [d1, c1] = (await at(1)) as [number, number];
  const [d64, c64] = (await at(64)) as [number, number];
  return { dense: { batch1Ms: d1, batch64Ms: d64 }, compressed: { batch1Ms: c1, batch64Ms: c64 } };
}
