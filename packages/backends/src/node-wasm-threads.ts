import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Makes tfjs-backend-wasm's threaded (pthreads + SIMD) binary start in Node, which tfjs 4.22
 * does not do on its own (tfjs issue #3830). Three things stand in the way, and each is
 * shimmed only for the duration of the backend's initialisation:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-coded `false` when `IS_NODE`: the caller sets it.
 * 2. Emscripten spawns its pthread workers from `locateFile('…worker.js')`, for which tfjs returns
 *    a `blob:` URL; Node's `Worker` only takes file paths and `file:`/`data:` URLs
 *    (`ERR_WORKER_PATH`). We write the worker script (with the module factory it loads, which
 *    tfjs also hands over as a Blob) to a temp directory and answer `URL.createObjectURL` with
 *    those paths.
 * 3. The XNNPACK thread pool is created by a static initialiser with
 *    `clamp(logicalCores / 2, 1, 4)` threads (the halving assumes hyper-threading), and
 *    `setThreadsCount` does not resize it in 4.22: on a 2-core machine it gets one thread. We make
 *    `os.cpus()` report `2 * threads` cores while the module instantiates.
 *
 * Emscripten `ref()`s a worker while its pthread runs, and XNNPACK's pool threads never end, so
 * the process would never exit: every worker started during initialisation is `unref()`ed after.
 *
 * @param threads requested pool size, an integer in [1, 4] (tfjs' own maximum).
 * @param init starts the backend (`tf.setBackend('wasm')`); shims are removed when it settles.
 */
export async function withNodeWasmThreads<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const dir = mkdtempSync(join(tmpdir(), 'tnzip-wasm-'));
  const factoryPath = join(dir, 'tfjs-backend-wasm-threaded-simd.cjs');
  writeFileSync(factoryPath, readFileSync(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), 'utf8'));
  const { wasmWorkerContents } = require(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const workerPath = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  // The worker turns the factory Blob into an object URL and `importScripts` it with
  // fs.readFileSync: point that at the file. The `\n` escaping is what tfjs does to the same
  // string before it makes its Blob (the source holds `"\n"` inside string literals).
  const prelude = `URL.createObjectURL=()=>${JSON.stringify(factoryPath)};URL.revokeObjectURL=()=>{};\n`;
  writeFileSync(workerPath, prelude + wasmWorkerContents.replace(/\n/g, '\\n'));

  const os = require('node:os') as typeof import('node:os');
  const realCpus = os.cpus;
  const realCreateObjectURL = URL.createObjectURL;
  const cpu: import('node:os').CpuInfo = realCpus()[0] ?? {
    model: 'unknown',
    speed: 0,
    times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 },
  };
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  URL.createObjectURL = (obj: Blob | MediaSource): string =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerPath : realCreateObjectURL(obj as Blob);
  // Emscripten posts a 'load' message to every pool worker it creates: that is where we see them.
  const workers = new Set<Worker>();
  const realPost = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
    workers.add(this);
    return realPost.apply(this, args);
  };
  try {
    return await init();
  } finally {
    os.cpus = realCpus;
    URL.createObjectURL = realCreateObjectURL;
    Worker.prototype.postMessage = realPost;
    for (const w of workers) w.unref();
  }
}

/** Cores this Node process may use, capped at tfjs' thread-pool maximum of 4. */
export function nodeCores(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}
