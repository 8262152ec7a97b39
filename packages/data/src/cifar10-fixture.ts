import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInt, Rng, TnzipError } from '@tnzip/tensor';
import { CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './cifar10.js';
import type { Split } from './dataset.js';

/** Options of {@link writeCifar10Fixture}. */
export interface Cifar10FixtureOptions {
  /** Records in each of the five `data_batch_k.bin` files (>= 1). */
  trainPerBatch: number;
  /** Records in `test_batch.bin` (>= 1). */
  test: number;
  /** Seed of the pixels and labels. */
  seed: number;
}

/**
 * Encodes examples as CIFAR-10 binary records: per example one label byte, then the R, G and B
 * 32×32 planes. `images` are NHWC uint8 (`count * 3072` values), the layout {@link cifar10} returns.
 */
export function encodeCifar10(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const n = labels.length;
  if (images.length !== n * 3072) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `images.length must be labels.length * 3072 = ${n * 3072}, got ${images.length}`,
    );
  }
  const out = new Uint8Array(n * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    out[rec] = labels[i] as number;
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[rec + 1 + c * 1024 + p] = images[i * 3072 + 3 * p + c] as number;
    }
  }
  return out;
}

function generate(n: number, rng: Rng): Split {
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    const label = rng.int(10);
    labels[i] = label;
    // Each class has its own mean colour (three bits of the label pick low or high per channel,
    // plus a brightness from the label) so a small network can learn the fixture in a few steps.
    const base = [label & 1 ? 170 : 60, label & 2 ? 170 : 60, label & 4 ? 170 : 60].map((v) => v + (label >> 3) * 40);
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) {
        const v = (base[c] as number) + Math.round((rng.uniform() - 0.5) * 120);
        images[i * 3072 + 3 * p + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return { images, labels, count: n, shape: [32, 32, 3] };
}

/**
 * Writes a small synthetic CIFAR-10 in the official binary layout, for tests: `data_batch_1.bin` …
 * `data_batch_5.bin` with `trainPerBatch` records each, `test_batch.bin` with `test` records, and
 * `batches.meta.txt` with the ten class names. Pixels are seeded noise around a per-class colour, so a
 * network can learn them. Creates `dir` if needed. Node only.
 *
 * @returns what {@link cifar10} should read back: `train` (`5 * trainPerBatch` examples, in file order)
 *   and `test`, both NHWC uint8 with example shape `[32, 32, 3]`.
 */
export function writeCifar10Fixture(dir: string, options: Cifar10FixtureOptions): { train: Split; test: Split } {
  checkInt(options.trainPerBatch, 'trainPerBatch', 1);
  checkInt(options.test, 'test', 1);
  const rng = new Rng(options.seed);
  mkdirSync(dir, { recursive: true });
  const parts: Split[] = [];
  for (const file of CIFAR10_TRAIN_FILES) {
    const part = generate(options.trainPerBatch, rng);
    writeFileSync(join(dir, file), encodeCifar10(part.images as Uint8Array, part.labels));
    parts.push(part);
  }
  const test = generate(options.test, rng);
  writeFileSync(join(dir, CIFAR10_TEST_FILE), encodeCifar10(test.images as Uint8Array, test.labels));
  writeFileSync(join(dir, 'batches.meta.txt'), `${CIFAR10_CLASSES.join('\n')}\n\n`);
  const count = 5 * options.trainPerBatch;
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  parts.forEach((p, k) => {
    images.set(p.images, k * options.trainPerBatch * 3072);
    labels.set(p.labels, k * options.trainPerBatch);
  });
  return { train: { images, labels, count, shape: [32, 32, 3] }, test };
}
