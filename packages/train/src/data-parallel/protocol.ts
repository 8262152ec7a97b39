// Messages between the data-parallel trainer (main thread) and its workers, and the layout of the
// shared float32 buffers. Weights go main → workers through one SharedArrayBuffer that every
// worker reads; each worker writes its gradients (and its buffers after the step: BatchNorm
// running statistics) into its own SharedArrayBuffer; after a barrier (an Atomics counter) worker
// k sums slice k of every worker's buffer, in worker order, into the shared `reduced` buffer, so
// the reduction runs in parallel and the main thread only reads the result. Only the batch shard
// and a few numbers travel in the messages: a step costs two small messages per worker.

import type { ModuleState } from '@tnzip/layers';

/** One variable in a shared buffer: its path, shape and float32 offset. */
export interface Slot {
  readonly path: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Where every trainable parameter, then every buffer, lies in the shared float32 buffers. */
export interface Layout {
  readonly params: readonly Slot[];
  readonly buffers: readonly Slot[];
  /** Floats in a shared buffer (params then buffers). */
  readonly length: number;
}

/** Model artifacts from `saveToMemory`, as the structured clone carries them. */
export interface ModelArtifacts {
  readonly modelTopology: unknown;
  readonly weightSpecs: unknown;
  readonly weightData: ArrayBuffer;
}

/** What the main thread passes in `workerData`. */
export interface TrainWorkerInit {
  /** 1-based, for messages. */
  readonly index: number;
  /** The backend to run on: `'cpu'` or `'wasm'` (1 XNNPACK thread). */
  readonly backend: 'cpu' | 'wasm';
  readonly model: ModelArtifacts;
  readonly layout: Layout;
  readonly labelSmoothing: number;
  readonly distill: { readonly teacher: ModelArtifacts; readonly temperature: number; readonly alpha: number } | null;
  /** Main → worker weights (and buffers), read by every worker. */
  readonly weights: SharedArrayBuffer;
  /** Every worker's gradients, then its buffers after the step (worker k writes `grads[k - 1]`). */
  readonly grads: readonly SharedArrayBuffer[];
  /** Σ_k share_k · grads_k, written slice by slice by the workers, read by the main thread. */
  readonly reduced: SharedArrayBuffer;
  /** One Int32: shards written so far (never reset; each step's target is passed in the request). */
  readonly barrier: SharedArrayBuffer;
}

/** Main → worker: compute the gradients of the mean loss over this shard at the current weights. */
export interface ShardRequest {
  readonly kind: 'step';
  readonly id: number;
  /** Shape of `x` (rows first). */
  readonly shape: readonly number[];
  readonly x: Float32Array;
  readonly y: Int32Array;
  /** `Module.namedStates()` to run with (Dropout counters), as entries. */
  readonly states: ReadonlyArray<readonly [string, ModuleState]>;
  /** n_k / N of every worker taking part in this step, in worker order (this one is `index − 1`). */
  readonly share: readonly number[];
  /** Barrier count that means every shard of this step is written. */
  readonly barrier: number;
}

/** A worker-side error, flattened for the structured clone. */
export interface WorkerFailure {
  readonly name: string;
  /** The TnzipError code, when the error was one. */
  readonly code?: string;
  readonly message: string;
}

/** Worker → main. `ready`/`init-error` once at start; `done`/`error` per request. */
export type TrainWorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'init-error'; readonly error: WorkerFailure }
  | {
      readonly kind: 'done';
      readonly id: number;
      /** Mean loss over the shard (CE with smoothing [+ distillation]). */
      readonly loss: number;
      /** Rows whose top logit is the label. */
      readonly correct: number;
      /** `Module.namedStates()` after the step. */
      readonly states: ReadonlyArray<readonly [string, ModuleState]>;
      /** Every reduced gradient of this worker's slice is finite. */
      readonly finite: boolean;
    }
  | { readonly kind: 'error'; readonly id: number; readonly error: WorkerFailure };

/** Lays out `params` then `buffers` back to back. */
export function makeLayout(
  params: ReadonlyArray<readonly [string, { readonly shape: readonly number[] }]>,
  buffers: ReadonlyArray<readonly [string, { readonly shape: readonly number[] }]>,
): Layout {
  let offset = 0;
  const slots = (vars: typeof params): Slot[] =>
    vars.map(([path, v]) => {
      const size = v.shape.reduce((a, b) => a * b, 1);
      const slot = { path, shape: [...v.shape], offset, size };
      offset += size;
      return slot;
    });
  const p = slots(params);
  const b = slots(buffers);
  return { params: p, buffers: b, length: offset };
}

/** Flattens an error for `postMessage`, keeping a TnzipError's code. */
export function flattenError(e: unknown): WorkerFailure {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? { name: e.name, code, message: e.message } : { name: e.name, message: e.message };
  }
  return { name: 'Error', message: String(e) };
}

/** Slice `k` of `[0, length)` cut into `parts` near-equal contiguous pieces. */
export function slice(length: number, parts: number, k: number): { start: number; end: number } {
  return { start: Math.floor((length * k) / parts), end: Math.floor((length * (k + 1)) / parts) };
}
