import { checkInt, Rng } from '@tnzip/tensor';

/**
 * Hashes integers (each in [0, 2^32)) to one 32-bit seed, so that every (seed, epoch, batch, purpose)
 * gets its own independent stream without advancing a shared generator: a later batch never depends
 * on how many earlier ones were drawn, which is what makes resuming mid-epoch exact.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h >>> 0;
}

/** Purpose tags kept apart so that shuffling, augmentation and splitting never share a stream. */
export const STREAM = { shuffle: 1, augment: 2, split: 3 } as const;

/**
 * Fisher–Yates permutation of `[0, n)` drawn from `rng`.
 * @returns an Int32Array of length `n` holding each index once.
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/**
 * The example order of one epoch: a permutation of `[0, count)` that depends only on `(seed, epoch)`,
 * so an interrupted epoch can be replayed (or resumed at any batch) in exactly the same order.
 *
 * @param count examples in the split (>= 0).
 * @param seed run seed, an integer in [0, 2^32).
 * @param epoch epoch index, an integer >= 0.
 */
export function epochPermutation(count: number, seed: number, epoch: number): Int32Array {
  checkInt(count, 'count', 0);
  checkInt(seed, 'seed', 0, 0xffffffff);
  checkInt(epoch, 'epoch', 0, 0xffffffff);
  return permutation(count, new Rng(mixSeed(STREAM.shuffle, seed, epoch)));
}
