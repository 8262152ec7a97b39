import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batches, MNIST_NORMALIZATION, type Split } from '@tnzip/data';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { IMAGE_SIZE, normalizePixels } from './preprocess.js';

/** The trainer's float32 input for `images` (uint8, n × 784): one unshuffled batch of `batches`. */
function trainerValues(images: Uint8Array): Float32Array {
  const count = images.length / IMAGE_SIZE;
  const split: Split = { images, labels: new Uint8Array(count), count, shape: [28, 28, 1] };
  const first = batches(split, { batchSize: count, shuffle: false, normalize: MNIST_NORMALIZATION }).next();
  if (first.done === true) throw new Error('no batch');
  const values = first.value.x.dataSync() as Float32Array;
  tf.dispose([first.value.x, first.value.y]);
  return values;
}

describeBackends('demo preprocessing', () => {
  it('equals the trainer’s batches() bit for bit for every pixel value 0…255', () => {
    const images = Uint8Array.from({ length: 2 * IMAGE_SIZE }, (_, i) => i % 256);
    const want = trainerValues(images);
    const got = normalizePixels(images);
    expect(got.length).toBe(want.length);
    expect(Array.from(got).every((v, i) => Object.is(v, want[i]))).toBe(true);
  });

  it('equals the trainer on the committed MNIST samples', () => {
    const bin = readFileSync(join(import.meta.dirname, '..', 'public', 'samples', 'mnist-test-100.bin'));
    const images = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
    expect(images.length).toBe(100 * IMAGE_SIZE);
    expect(Array.from(normalizePixels(images))).toEqual(Array.from(trainerValues(images)));
  });
});
