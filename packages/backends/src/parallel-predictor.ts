import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tnzip/layers';
import { isTnzipErrorCode, TnzipError } from '@tnzip/tensor';
import { isNode } from './environment.js';
import type { PredictRequest, WorkerFailure, WorkerInit, WorkerReply } from './parallel-worker.js';

/** Options of {@link parallelPredictor}. */
export interface ParallelPredictorOptions {
  /**
   * Worker threads, an integer in [1, 8]. Default: `os.availableParallelism()`, at most 4. More
   * workers than cores only adds contention: each worker runs a 1-thread wasm backend.
   */
  workers?: number;
}

/** Data-parallel inference over worker threads; see {@link parallelPredictor}. */
export interface ParallelPredictor {
  /** Number of worker threads. */
  readonly workers: number;
  /**
   * Runs `model.apply(x, { training: false })` on `x`, `[N, ...inputShape]` float32, split along
   * axis 0 into contiguous chunks of ⌊N/w⌋ or ⌈N/w⌉ rows, one per worker (`w = min(workers, N)`),
   * and concatenates the outputs in order: `[N, ...outputShape]`, a new tensor on the current
   * backend that the caller owns (`x` is left alone).
   *
   * @throws TnzipError (the promise rejects) `INVALID_ARGUMENT` for a non-float32 or scalar `x`
   *   or one with N = 0; the worker's own code (`SHAPE_MISMATCH`, …) or `BACKEND_UNAVAILABLE`,
   *   naming the worker and the cause, when a worker fails on its chunk (the predictor stays
   *   usable); `BACKEND_UNAVAILABLE` once a worker has died or after `dispose()`.
   */
  predict(x: tf.Tensor): Promise<tf.Tensor>;
  /** Terminates the workers; later `predict` calls reject. Idempotent. */
  dispose(): Promise<void>;
}

const MAX_WORKERS = 8;

function checkWorkers(workers: unknown): void {
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `parallelPredictor: workers: expected an integer in [1, ${MAX_WORKERS}], got ${String(workers)}`,
    );
  }
}

/** Reads the message of a worker failure back into a TnzipError naming the worker. */
function workerError(index: number, what: string, f: WorkerFailure): TnzipError {
  const code = isTnzipErrorCode(f.code) ? f.code : 'BACKEND_UNAVAILABLE';
  return new TnzipError(code, `parallelPredictor: worker ${index} ${what}: ${f.name}: ${f.message}`, { cause: f });
}

/** How to start a worker: the compiled `.js` with plain Node, or the `.ts` source through tsx. */
async function workerEntry(): Promise<{ script: URL | string; eval: boolean; execArgv?: string[] }> {
  if (!import.meta.url.endsWith('.ts'))
    return { script: new URL('./parallel-worker.js', import.meta.url), eval: false };
  // Running from sources (tsx, vitest): Node 20 ignores `--import tsx` in a worker's execArgv, so a
  // small script registers tsx's hooks inside the thread and then imports the .ts worker.
  // createRequire works where import.meta.resolve does not (vitest).
  const { createRequire } = process.getBuiltinModule('node:module');
  const { pathToFileURL } = process.getBuiltinModule('node:url');
  // tsx's ESM API (its `register()` installs the hooks in the calling thread). require.resolve
  // would pick the package's require build of it, which cannot run here: read the import one.
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as {
    exports?: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports?.['./esm/api'];
  const rel = typeof entry === 'object' ? entry.import?.default : undefined;
  if (rel === undefined) throw new TnzipError('BACKEND_UNAVAILABLE', 'parallelPredictor: cannot find tsx/esm/api');
  const api = new URL(rel, pathToFileURL(pkgPath)).href;
  const worker = new URL('./parallel-worker.ts', import.meta.url).href;
  return {
    script: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
    execArgv: ['--conditions=@tnzip/source'],
  };
}

/** Contiguous near-equal split of `n` rows into `parts`: the first `n % parts` chunks get one more. */
function chunks(n: number, parts: number): { start: number; rows: number }[] {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  const out: { start: number; rows: number }[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const rows = base + (i < extra ? 1 : 0);
    out.push({ start, rows });
    start += rows;
  }
  return out;
}

interface Pending {
  resolve: (r: { shape: readonly number[]; data: Float32Array }) => void;
  reject: (e: TnzipError) => void;
}

/** One worker thread, its outstanding requests, and whether it is still alive. */
class WorkerHandle {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once the thread has died; every later request fails with it. */
  dead: TnzipError | null = null;

  constructor(
    readonly index: number,
    private readonly worker: Worker,
    private readonly onDeath: (e: TnzipError) => void,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (m.kind !== 'result' && m.kind !== 'error') return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      this.refresh();
      if (m.kind === 'result') p.resolve({ shape: m.shape, data: m.data });
      else p.reject(workerError(this.index, 'failed on its chunk', m.error));
    });
    worker.on('error', (e: Error) => this.die(workerError(index, 'crashed', { name: e.name, message: e.message })));
    worker.on('exit', (code) =>
      this.die(new TnzipError('BACKEND_UNAVAILABLE', `parallelPredictor: worker ${index} exited (code ${code})`)),
    );
  }

  /** Keeps Node alive only while a request is outstanding, so an idle predictor never blocks exit. */
  refresh(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private die(e: TnzipError): void {
    if (this.dead !== null) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.onDeath(e);
  }

  request(shape: readonly number[], data: Float32Array): Promise<{ shape: readonly number[]; data: Float32Array }> {
    if (this.dead !== null) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.refresh();
      const req: PredictRequest = { id, shape, data };
      this.worker.postMessage(req, [data.buffer as ArrayBuffer]);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Data-parallel inference in Node: `workers` threads each hold a copy of `model` on a 1-thread
 * wasm backend, and {@link ParallelPredictor.predict} splits a batch between them. On 2 cores this
 * beats tfjs' threaded wasm (XNNPACK parallelises inside each op, and ResNet-sized ops are too
 * small to keep two threads busy; independent half-batches are not).
 *
 * The model travels as `save` artifacts (architecture + weights, so every layer kind must be one
 * that importing `@tnzip/layers` registers); later changes to `model`'s weights are not seen by
 * the workers. Results equal `model.apply(x, { training: false })` on 1-thread wasm in this thread
 * (same kernels on the same rows; XNNPACK's results do not depend on the batch size for the
 * layers tested, so they agree bit for bit there).
 *
 * Workers are `unref()`ed while idle: a forgotten predictor does not keep Node running, but call
 * `dispose()` to free their memory.
 *
 * @throws TnzipError `BACKEND_UNAVAILABLE` outside Node, or when a worker cannot load the model
 *   (naming the worker and the cause); `INVALID_ARGUMENT` for a bad `workers`.
 *
 * @example
 * const pp = await parallelPredictor(model, { workers: 2 });
 * const logits = await pp.predict(images); // [64, 10] from [64, 32, 32, 3]
 * await pp.dispose();
 */
export async function parallelPredictor(
  model: Module,
  options: ParallelPredictorOptions = {},
): Promise<ParallelPredictor> {
  if (!isNode()) {
    throw new TnzipError(
      'BACKEND_UNAVAILABLE',
      'parallelPredictor: needs Node worker_threads; in a browser use useBackend("wasm") with threads',
    );
  }
  // getBuiltinModule, not import(): bundlers for the browser see no Node module to resolve.
  const { availableParallelism } = process.getBuiltinModule('node:os');
  const n = options.workers ?? Math.max(1, Math.min(4, availableParallelism()));
  checkWorkers(n);

  const { saveToMemory } = await import('@tnzip/layers');
  const artifacts = await saveToMemory(model);
  if (!(artifacts.weightData instanceof ArrayBuffer)) {
    throw new TnzipError('BACKEND_UNAVAILABLE', 'parallelPredictor: save produced no weight buffer');
  }
  const weightData = artifacts.weightData;

  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const entry = await workerEntry();
  let broken: TnzipError | null = null;
  let disposed = false;
  const init = { modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData };
  const workers = Array.from({ length: n }, (_, k) =>
    startWorker(Worker, entry, { index: k + 1, ...init }, (e) => {
      if (!disposed) broken ??= e;
    }),
  );
  const handles = workers.map((w) => w.handle);
  const settled = await Promise.allSettled(workers.map((w) => w.started));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure !== undefined) {
    disposed = true;
    await Promise.all(handles.map((h) => h.terminate()));
    throw failure.reason;
  }
  for (const h of handles) h.refresh();

  return {
    workers: n,
    async predict(x: tf.Tensor): Promise<tf.Tensor> {
      if (disposed) throw new TnzipError('BACKEND_UNAVAILABLE', 'parallelPredictor: predict after dispose()');
      if (broken !== null)
        throw new TnzipError('BACKEND_UNAVAILABLE', `parallelPredictor is broken: ${broken.message}`, {
          cause: broken,
        });
      return predictSplit(handles, x);
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await Promise.all(handles.map((h) => h.terminate()));
    },
  };
}

type WorkerClass = typeof import('node:worker_threads').Worker;

/** Starts worker `init.index`; `started` settles when it has loaded the model (or failed to). */
function startWorker(
  Worker: WorkerClass,
  entry: Awaited<ReturnType<typeof workerEntry>>,
  init: WorkerInit,
  onBroken: (e: TnzipError) => void,
): { handle: WorkerHandle; started: Promise<void> } {
  const i = init.index;
  const w = new Worker(entry.script, {
    eval: entry.eval,
    workerData: init,
    ...(entry.execArgv === undefined ? {} : { execArgv: entry.execArgv }),
  });
  const started = new Promise<void>((resolve, reject) => {
    const onMessage = (m: WorkerReply): void => {
      if (m.kind === 'ready') {
        w.off('message', onMessage);
        resolve();
      } else if (m.kind === 'init-error') {
        w.off('message', onMessage);
        reject(workerError(i, 'could not load the model', m.error));
      }
    };
    w.on('message', onMessage);
    w.once('error', (e: Error) => reject(workerError(i, 'failed to start', { name: e.name, message: e.message })));
    w.once('exit', (code) =>
      reject(
        new TnzipError('BACKEND_UNAVAILABLE', `parallelPredictor: worker ${i} exited (code ${code}) while starting`),
      ),
    );
  });
  return { handle: new WorkerHandle(i, w, onBroken), started };
}

/** Splits `x` along axis 0 over the workers, in order, and concatenates their outputs. */
async function predictSplit(handles: readonly WorkerHandle[], x: tf.Tensor): Promise<tf.Tensor> {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 1 || (x.shape[0] ?? 0) < 1) {
    const got = x instanceof tf.Tensor ? `${x.dtype} [${x.shape.join(', ')}]` : typeof x;
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `parallelPredictor.predict: x: expected a float32 tensor [N >= 1, ...], got ${got}`,
    );
  }
  const rows = x.shape[0] as number;
  const rowShape = x.shape.slice(1);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const all = (await x.data()) as Float32Array;
  const parts = chunks(rows, Math.min(handles.length, rows));
  const outs = await Promise.all(
    parts.map((p, i) =>
      // slice copies: `all` may be the backend's own storage (cpu), and transfer detaches.
      (handles[i] as WorkerHandle).request(
        [p.rows, ...rowShape],
        all.slice(p.start * rowSize, (p.start + p.rows) * rowSize),
      ),
    ),
  );
  const outRow = (outs[0] as { shape: readonly number[] }).shape.slice(1);
  const outRowSize = outRow.reduce((a, b) => a * b, 1);
  for (const [i, o] of outs.entries()) {
    // Row i of the output must come from row i of the input for the concatenation to mean anything.
    if (o.shape[0] !== parts[i]?.rows || o.data.length !== (parts[i]?.rows ?? 0) * outRowSize) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `parallelPredictor: worker ${i + 1} returned [${o.shape.join(', ')}] for ${parts[i]?.rows} rows; the model must map [N, ...] to [N, ...]`,
      );
    }
  }
  const result = new Float32Array(rows * outRowSize);
  for (const [i, o] of outs.entries()) result.set(o.data, (parts[i] as { start: number }).start * outRowSize);
  return tf.tensor(result, [rows, ...outRow], 'float32');
}
