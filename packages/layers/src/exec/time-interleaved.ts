import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';

/** Options of {@link timeInterleaved}. */
export interface TimingOptions {
  /** Untimed calls of each function first. Default 2. */
  readonly warmup?: number;
  /** Timed rounds; each round times every function once, in alternating order. Default 7. */
  readonly rounds?: number;
  /** A timing repeats a function until about this many ms have passed (at most 64 calls). Default 2. */
  readonly minMs?: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function once(fn: () => tf.Tensor, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const y = tf.tidy(fn);
    try {
      await y.data(); // the read makes the time cover the backend's work on every backend
    } finally {
      y.dispose();
    }
  }
  return (performance.now() - t0) / reps;
}

/**
 * Median milliseconds per call of each of `fns`, measured interleaved (round r times every
 * function once, forwards on even rounds and backwards on odd ones), so a load change on a
 * shared machine hits every candidate alike. Each call's output is read back and disposed.
 *
 * @throws TnzipError INVALID_ARGUMENT for an empty list or warmup/rounds out of range
 */
export async function timeInterleaved(
  fns: readonly (() => tf.Tensor)[],
  options: TimingOptions = {},
): Promise<number[]> {
  const warmup = options.warmup ?? 2;
  const rounds = options.rounds ?? 7;
  const minMs = options.minMs ?? 2;
  if (fns.length === 0) throw new TnzipError('INVALID_ARGUMENT', 'timeInterleaved: fns must not be empty');
  if (!Number.isInteger(warmup) || warmup < 1 || warmup > 100)
    throw new TnzipError('INVALID_ARGUMENT', `timing warmup must be an integer in [1, 100], got ${String(warmup)}`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000)
    throw new TnzipError('INVALID_ARGUMENT', `timing rounds must be an integer in [1, 1000], got ${String(rounds)}`);
  const reps: number[] = [];
  for (const fn of fns) {
    let t = 0;
    for (let i = 0; i < warmup; i++) t = await once(fn, 1);
    reps.push(Math.max(1, Math.min(64, Math.ceil(minMs / Math.max(t, 1e-3)))));
  }
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < fns.length; j++) {
      const i = r % 2 === 0 ? j : fns.length - 1 - j;
      (times[i] as number[]).push(await once(fns[i] as () => tf.Tensor, reps[i] as number));
    }
  }
  return times.map(median);
}
