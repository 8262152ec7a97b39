// Worker thread of `parallelPredictor` (parallel-predictor.ts): loads the model from the artifacts
// in `workerData` onto a 1-thread wasm backend, then answers each `PredictRequest` with the output
// of `model.apply(x, { training: false })`. Data crosses the thread boundary as transferred
// Float32Array buffers (no copy).
//
// Everything is imported dynamically: in plain Node, @tnzip/layers imports tfjs-core's ES build,
// which resolves only once @tnzip/layers/node-register's hook is registered, and a static import
// graph is resolved before any of this module runs.

import type * as tfc from '@tensorflow/tfjs-core';

/** What the main thread passes in `workerData`. */
export interface WorkerInit {
  /** 1-based, for messages. */
  readonly index: number;
  readonly modelTopology: unknown;
  readonly weightSpecs: unknown;
  readonly weightData: ArrayBuffer;
}

/** Main → worker: run the model on `data` (row-major, shape `shape`). */
export interface PredictRequest {
  readonly id: number;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A worker-side error, flattened for the structured clone. */
export interface WorkerFailure {
  readonly name: string;
  /** The TnzipError code, when the error was one. */
  readonly code?: string;
  readonly message: string;
}

/** Worker → main. `ready`/`init-error` once at start; `result`/`error` per request. */
export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'init-error'; readonly error: WorkerFailure }
  | { readonly kind: 'result'; readonly id: number; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly kind: 'error'; readonly id: number; readonly error: WorkerFailure };

function flatten(e: unknown): WorkerFailure {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? { name: e.name, code, message: e.message } : { name: e.name, message: e.message };
  }
  return { name: 'Error', message: String(e) };
}

async function main(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort === null) throw new Error('parallel-worker must run in a worker thread');
  const port = parentPort;
  const init = workerData as WorkerInit;
  const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

  let run: (req: PredictRequest) => { shape: number[]; data: Float32Array };
  try {
    await import('@tnzip/layers/node-register');
    const tf = await import('@tensorflow/tfjs-core');
    const { load } = await import('@tnzip/layers');
    const { useBackend } = await import('./use-backend.js');
    await useBackend('wasm', { threads: 1 });
    const { model } = await load(
      tf.io.fromMemory({
        modelTopology: init.modelTopology as tfc.io.ModelArtifacts['modelTopology'],
        weightSpecs: init.weightSpecs as tfc.io.WeightsManifestEntry[],
        weightData: init.weightData,
      }),
    );
    run = (req) => {
      const y = tf.tidy(() => model.apply(tf.tensor(req.data, [...req.shape], 'float32'), { training: false }));
      try {
        // dataSync on wasm copies out of the heap: the buffer is ours to transfer.
        return { shape: y.shape, data: y.dataSync() as Float32Array };
      } finally {
        y.dispose();
      }
    };
  } catch (e) {
    post({ kind: 'init-error', error: flatten(e) });
    return;
  }
  port.on('message', (req: PredictRequest) => {
    try {
      const out = run(req);
      post({ kind: 'result', id: req.id, shape: out.shape, data: out.data }, [out.data.buffer as ArrayBuffer]);
    } catch (e) {
      post({ kind: 'error', id: req.id, error: flatten(e) });
    }
  });
  post({ kind: 'ready' });
}

await main();
