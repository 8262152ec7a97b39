import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, type Conv2dOptions, heNormal, Linear, seedFromName } from '@tnzip/layers';
import { checkInt } from '@tnzip/tensor';

/** Options every zoo model accepts. */
export interface SeedOptions {
  /**
   * Base seed in [0, 2^32) (default 0). Each layer draws its He-normal init from a seed derived from
   * this and the layer's full path, so one seed fixes every weight and two layers never share a stream.
   */
  readonly seed?: number;
}

/** Checks and returns the model seed (default 0). */
export function modelSeed(options: SeedOptions, model: string): number {
  const seed = options.seed ?? 0;
  checkInt(seed, `${model}: seed`, 0, 0xffffffff);
  return seed;
}

/** The init seed of the layer at `path` in a model built with `seed`. */
export function layerSeed(seed: number, path: string): number {
  return seedFromName(`${seed}:${path}`);
}

/** A Conv2d with He-normal init seeded by (model seed, full path). `path` ends with the layer's name. */
export function heConv(path: string, seed: number, options: Omit<Conv2dOptions, 'seed'>): Conv2d {
  const name = path.slice(path.lastIndexOf('.') + 1);
  return new Conv2d(name, { ...options, seed: layerSeed(seed, path) });
}

/**
 * A Linear layer with He-normal init N(0, 2/S) (Linear's own default is Glorot), seeded by
 * (model seed, full path). Biases start at zero.
 */
export function heLinear(path: string, seed: number, inFeatures: number, outFeatures: number): Linear {
  const name = path.slice(path.lastIndexOf('.') + 1);
  const s = layerSeed(seed, path);
  const layer = new Linear(name, { inFeatures, outFeatures, seed: s });
  const w = tf.tidy(() => heNormal([inFeatures, outFeatures], inFeatures, s));
  layer.weight.assign(w);
  w.dispose();
  return layer;
}

/** Checks a class count (>= 1). */
export function checkClasses(numClasses: number, model: string): void {
  checkInt(numClasses, `${model}: numClasses`, 1);
}
