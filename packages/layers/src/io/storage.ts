import { checkOneOf } from '@tnzip/tensor';
import type { Module } from '../module.js';
import { quantizeDequantize } from '../ops/fake-quant.js';
import { storedVariables } from './state.js';

/**
 * How a model file stores its weights: `'float32'` (bit-exact) or `'uint8'` (per-tensor affine,
 * `x ≈ q·scale + min`, as tfjs's quantized weight manifest describes it: `tf.io.decodeWeights`
 * dequantizes; error ≤ scale / 2).
 */
export type StorageEncoding = 'float32' | 'uint8';

/** The encodings {@link save} writes, in CLI order. */
export const STORAGE_ENCODINGS: readonly StorageEncoding[] = ['float32', 'uint8'];

/** Bytes one stored element takes in weights.bin under `encoding` (4 or 1). */
export function bytesPerElement(encoding: StorageEncoding): number {
  return checkStorage(encoding) === 'uint8' ? 1 : 4;
}

/** `value` as a {@link StorageEncoding}; INVALID_ARGUMENT naming `name` and the allowed values otherwise. */
export function checkStorage(value: unknown, name = 'storage'): StorageEncoding {
  return checkOneOf(value, name, STORAGE_ENCODINGS);
}

/**
 * Stored elements of `model` (every parameter and non-derived buffer, biases and BatchNorm
 * statistics included): what weights.bin holds.
 */
export function storedElements(model: Module): number {
  return storedVariables(model).reduce((a, [, v]) => a + v.size, 0);
}

/**
 * The exact size in bytes of the weights.bin that `save(model, dir, { storage: encoding })`
 * writes: stored elements × {@link bytesPerElement} (the per-tensor `min`/`scale` of uint8 live in
 * model.json, not in weights.bin). Every stored variable is float32.
 */
export function storageBytes(model: Module, encoding: StorageEncoding = 'float32'): number {
  return storedElements(model) * bytesPerElement(encoding);
}

/**
 * Rounds every stored variable of `model`, in place, to the value a model file of `encoding`
 * keeps of it (uint8: {@link quantizeDequantize}; float32: unchanged), so that the model in memory
 * computes what the saved file will (evaluate it after this, save it after this: the same
 * numbers up to float32 rounding). Derived caches rebuild from the rounded parameters.
 */
export function roundToStorage(model: Module, encoding: StorageEncoding): void {
  if (checkStorage(encoding) === 'float32') return;
  for (const [, v] of storedVariables(model)) {
    const q = quantizeDequantize(v);
    v.assign(q);
    q.dispose();
  }
}
