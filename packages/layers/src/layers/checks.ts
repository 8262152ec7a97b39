import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import type { ModuleConfig, Shape } from '../module.js';

/** `[a, b, ?]` style text of an expected shape; `null` entries are free. */
function fmt(expected: readonly (number | null)[]): string {
  return `[${expected.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Throws SHAPE_MISMATCH, naming the layer and the expected per-example shape, unless `shape`
 * (batch axis excluded) matches `expected` (`null` = any size).
 */
export function expectShape(layer: string, shape: Shape, expected: readonly (number | null)[]): void {
  if (shape.length !== expected.length || expected.some((d, i) => d !== null && shape[i] !== d)) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `layer '${layer}' expects input of shape ${fmt(expected)} (batch axis excluded), got [${shape.join(', ')}]`,
    );
  }
}

/** {@link expectShape} for a batch tensor `[N, ...shape]`. */
export function expectBatch(layer: string, x: tf.Tensor, expected: readonly (number | null)[]): void {
  expectShape(layer, x.shape.slice(1), expected);
}

/** Reads a required field of a config; CORRUPT_FILE when absent or of the wrong type. */
export function field<T>(config: ModuleConfig, key: string, check: (v: unknown) => boolean, what: string): T {
  const v = config[key];
  if (!check(v))
    throw new TnzipError(
      'CORRUPT_FILE',
      `config of '${String(config.name)}' (${config.kind}): field '${key}' must be ${what}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}

export const isNum = (v: unknown): boolean => typeof v === 'number';
export const isBool = (v: unknown): boolean => typeof v === 'boolean';
export const isAny = (): boolean => true;
