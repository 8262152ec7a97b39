import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';

/** Where a measured execution choice holds: a tfjs backend and its thread count. */
export interface ExecutionTarget {
  /** `tf.getBackend()`, e.g. `'wasm'`. */
  readonly backend: string;
  /** Threads the backend runs on (wasm's pool size; 1 for cpu). */
  readonly threads: number;
}

/**
 * The active backend with `threads` (the caller knows the pool it started: `@tnzip/backends`).
 *
 * @throws TnzipError INVALID_ARGUMENT for threads not an integer in [1, 64]
 */
export function currentTarget(threads = 1): ExecutionTarget {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new TnzipError('INVALID_ARGUMENT', `threads must be an integer in [1, 64], got ${String(threads)}`);
  return { backend: tf.getBackend(), threads };
}

/** `'wasm@2'`: the key a choice is stored under in a model file. */
export function targetKey(t: ExecutionTarget): string {
  return `${t.backend}@${t.threads}`;
}
