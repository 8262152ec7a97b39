import * as tf from '@tensorflow/tfjs-core';
import { checkInt, Rng } from '@tnzip/tensor';

/**
 * FNV-1a hash of a string, as an unsigned 32-bit seed.
 */
export function seedFromName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

let constructed = 0;

/**
 * The init seed of a layer built without an explicit one: the hash of its name mixed with a
 * per-process construction counter, so that the many layers sharing a local name (every ResNet
 * block has a `conv1`) start from different weights, and a program that builds its network in
 * the same order gets the same weights on every run. Pass `seed` for order-independent init.
 */
export function defaultSeed(name: string): number {
  constructed += 1;
  return (seedFromName(name) ^ Math.imul(constructed, 0x9e3779b1)) >>> 0;
}

function checkShapeInts(shape: readonly number[], name: string): void {
  for (const [i, d] of shape.entries()) checkInt(d, `${name}[${i}]`, 1);
}

/**
 * He (Kaiming) normal init: N(0, 2 / fanIn), right for layers followed by ReLU.
 * `fanIn` = inputs per output unit (S·k_h·k_w for a conv, S for a linear layer).
 */
export function heNormal(shape: readonly number[], fanIn: number, seed: number): tf.Tensor {
  checkShapeInts(shape, 'heNormal: shape');
  checkInt(fanIn, 'heNormal: fanIn', 1);
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const std = Math.sqrt(2 / fanIn);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
  return tf.tensor(data, [...shape]);
}

/** Glorot (Xavier) uniform init: U(−a, a), a = √(6 / (fanIn + fanOut)). */
export function glorotUniform(shape: readonly number[], fanIn: number, fanOut: number, seed: number): tf.Tensor {
  checkShapeInts(shape, 'glorotUniform: shape');
  checkInt(fanIn, 'glorotUniform: fanIn', 1);
  checkInt(fanOut, 'glorotUniform: fanOut', 1);
  return uniformInit(shape, Math.sqrt(6 / (fanIn + fanOut)), seed);
}

/** U(−bound, bound), seeded. */
export function uniformInit(shape: readonly number[], bound: number, seed: number): tf.Tensor {
  checkShapeInts(shape, 'uniformInit: shape');
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.uniform() - 1) * bound;
  return tf.tensor(data, [...shape]);
}
