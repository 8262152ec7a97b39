/**
 * A seconds-long training run on synthetic 4×4 images, with Dropout and AdamW, for the checkpoint
 * tests and the fuzz suite: small enough that a checkpoint is ~4 KB and a whole run takes well
 * under a second. The data are a pure function of `seed`.
 */
import type { Split } from '@tnzip/data';
import { Dropout, Flatten, Linear, ReLU, Sequential } from '@tnzip/layers';
import { Rng } from '@tnzip/tensor';

/** `count` 4×4×1 uint8 images; the label is the brightest 2×2 quadrant (4 classes). */
export function tinySplit(count: number, seed: number): Split {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 16);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const q = [0, 0, 0, 0];
    for (let p = 0; p < 16; p++) {
      const v = Math.floor(rng.uniform() * 256);
      images[i * 16 + p] = v;
      const quadrant = (Math.floor(p / 8) * 2 + Math.floor((p % 4) / 2)) as 0 | 1 | 2 | 3;
      q[quadrant] = (q[quadrant] as number) + v;
    }
    labels[i] = q.indexOf(Math.max(...q));
  }
  return { images, labels, count, shape: [4, 4, 1] };
}

export const TINY_DATA = { train: tinySplit(48, 1), test: tinySplit(16, 2) };

export function tinyModel(): Sequential {
  return new Sequential('tiny', [
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 16, outFeatures: 12, seed: 1 }),
    new ReLU('relu'),
    new Dropout('drop', { rate: 0.2, seed: 5 }),
    new Linear('fc2', { inFeatures: 12, outFeatures: 4, seed: 2 }),
  ]);
}

/** 3 epochs of 6 steps, a checkpoint every 4 steps, every checkpoint kept. */
export const TINY_OPTIONS = {
  epochs: 3,
  batchSize: 8,
  lr: 0.05,
  optimizer: { kind: 'adamw', weightDecay: 0.01 },
  schedule: { kind: 'cosine' },
  warmupSteps: 2,
  labelSmoothing: 0.05,
  seed: 7,
  checkpointEvery: 4,
  keepCheckpoints: 10,
  logEvery: 1,
} as const;
