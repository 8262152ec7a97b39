import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batches, MNIST_NORMALIZATION, type Split } from '@tnzip/data';
import { load } from '@tnzip/layers';
import { predictTop1 } from '../src/predict.js';
import { normalizePixels } from '../src/preprocess.js';

/** The committed samples as @tnzip/data's `Split` (uint8 pixels, NHWC `[28, 28, 1]`). */
export async function readSamples(publicDir: string): Promise<Split> {
  const images = new Uint8Array(await readFile(join(publicDir, 'samples', 'mnist-test-100.bin')));
  const meta = JSON.parse(await readFile(join(publicDir, 'samples', 'mnist-test-100.json'), 'utf8')) as {
    count: number;
    shape: number[];
    labels: number[];
  };
  return { images, labels: Uint8Array.from(meta.labels), count: meta.count, shape: meta.shape };
}

/**
 * The trainer's input for the samples: one unshuffled batch from `batches` with MNIST_NORMALIZATION.
 * Also checks that the page's `normalizePixels` gives exactly these float32 values (bit for bit).
 */
export function trainerInput(split: Split): Float32Array {
  const it = batches(split, { batchSize: split.count, shuffle: false, normalize: MNIST_NORMALIZATION });
  const first = it.next();
  if (first.done === true) throw new Error('no batch');
  const { x, y } = first.value;
  const values = x.dataSync() as Float32Array;
  tf.dispose([x, y]);
  const page = normalizePixels(split.images as Uint8Array);
  const bad = values.findIndex((v, i) => !Object.is(v, page[i]));
  if (bad >= 0 || page.length !== values.length)
    throw new Error(
      `the page's preprocessing differs from the trainer's at value ${bad}: ${page[bad]} vs ${values[bad]}`,
    );
  return values;
}

/**
 * Top-1 class of each sample for the model in `dir`, loaded with `load()` on the active backend, in
 * the page's batches (`predictTop1`: the same code path and batch size as the browser).
 */
export async function nodeTop1(dir: string, x: Float32Array, n: number): Promise<number[]> {
  const { model } = await load(dir);
  try {
    return Array.from(await predictTop1(model, x, n));
  } finally {
    model.dispose();
  }
}
