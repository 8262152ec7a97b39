import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';

/*
 * Argument checks shared by every public function. Each names the argument as the caller
 * wrote it (`name`) and states the allowed range, in the manner of tfjs-core's op checks.
 */

/** Throws INVALID_ARGUMENT unless `value` is an integer in `[min, max]`. */
export function checkInt(value: number, name: string, min: number, max = Number.POSITIVE_INFINITY): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new TnzipError('INVALID_ARGUMENT', `${name} must be ${range}, got ${String(value)}`);
  }
}

/** Throws INVALID_ARGUMENT unless `value` is a finite number in `[min, max]`. */
export function checkNumber(value: number, name: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${name} must be a finite number in [${min}, ${max}], got ${String(value)}`,
    );
  }
}

/**
 * `value` as one of `allowed`; otherwise INVALID_ARGUMENT
 * `<name> must be one of <a>, <b>, got <value as JSON>`.
 */
export function checkOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return value as T;
}

/** Throws INVALID_MODE unless `mode` is an integer in `[0, order)`. */
export function checkMode(mode: number, order: number, name = 'mode'): void {
  if (!Number.isInteger(mode) || mode < 0 || mode >= order) {
    throw new TnzipError(
      'INVALID_MODE',
      `${name} must be an integer in [0, ${order - 1}] for a tensor of order ${order}, got ${String(mode)}`,
    );
  }
}

/** Throws INVALID_MODE unless every mode is valid and no mode repeats. */
export function checkModes(modes: readonly number[], order: number, name = 'modes'): void {
  const seen = new Set<number>();
  modes.forEach((m, i) => {
    checkMode(m, order, `${name}[${i}]`);
    if (seen.has(m)) throw new TnzipError('INVALID_MODE', `${name} must not repeat a mode, got ${m} twice`);
    seen.add(m);
  });
}

/** Throws INVALID_RANK unless `rank` is an integer in `[1, max]`. */
export function checkRank(rank: number, max: number, name = 'rank'): void {
  if (!Number.isInteger(rank) || rank < 1 || rank > max) {
    throw new TnzipError('INVALID_RANK', `${name} must be an integer in [1, ${max}], got ${String(rank)}`);
  }
}

/** Throws SHAPE_MISMATCH unless `shape` has exactly `order` axes (or one of several allowed orders). */
export function checkOrder(shape: readonly number[], order: number | readonly number[], name: string): void {
  const allowed = typeof order === 'number' ? [order] : order;
  if (!allowed.includes(shape.length)) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${name} must have order ${allowed.join(' or ')}, got shape [${shape.join(', ')}]`,
    );
  }
}

/** Throws SHAPE_MISMATCH unless `shape` has at least `min` axes. */
export function checkMinOrder(shape: readonly number[], min: number, name: string): void {
  if (shape.length < min) {
    throw new TnzipError('SHAPE_MISMATCH', `${name} must have order >= ${min}, got shape [${shape.join(', ')}]`);
  }
}

/** Throws SHAPE_MISMATCH unless `shape` has only positive integer dimensions. */
export function checkShape(shape: readonly number[], name: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `${name} must have positive integer dimensions, got [${shape.join(', ')}]`,
      );
    }
  }
}

/** Throws NON_FINITE if `data` holds NaN or ±Infinity. */
export function checkFinite(data: ArrayLike<number>, name: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      throw new TnzipError('NON_FINITE', `${name} must be finite, found ${String(v)} at flat index ${i}`);
    }
  }
}

/** Throws INVALID_ARGUMENT unless `t` is a float32 tfjs tensor that has not been disposed. */
export function checkTensor(t: tf.Tensor, name: string): void {
  if (t === null || typeof t !== 'object' || !Array.isArray((t as { shape?: unknown }).shape)) {
    throw new TnzipError('INVALID_ARGUMENT', `${name} must be a tf.Tensor`);
  }
  if (t.isDisposed) throw new TnzipError('INVALID_ARGUMENT', `${name} has been disposed`);
  if (t.dtype !== 'float32') {
    throw new TnzipError('INVALID_ARGUMENT', `${name} must have dtype float32, got ${t.dtype}`);
  }
}
