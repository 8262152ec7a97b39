import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { isNode } from './environment.js';

/** Options for the wasm backend. */
export interface WasmOptions {
  /**
   * Where the `.wasm` binaries are served from, in browsers: a URL prefix ending in `/`, or a map
   * from file name (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`,
   * `tfjs-backend-wasm-threaded-simd.wasm`) to URL. Ignored in Node, where they are read from the
   * installed `@tensorflow/tfjs-backend-wasm` package.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * XNNPACK thread-pool size, an integer in [1, 4]. Default: in Node, the number of cores
   * (`os.availableParallelism()`, at most 4); in browsers, tfjs' default (which needs a
   * cross-origin-isolated page). Fixed at the first initialisation of the process.
   */
  threads?: number;
}

/** What initialising wasm gave: the thread-pool size actually in use. */
export interface WasmInit {
  threads: number;
  /** Why the pool has this size when it differs from the request. */
  note?: string;
}

/**
 * Initialises (once per process) and activates the tfjs wasm backend.
 *
 * In Node with `threads > 1` it starts the threaded SIMD binary through
 * {@link withNodeWasmThreads}; with one thread it uses the plain SIMD binary (no workers).
 *
 * @throws Error when `tf.setBackend('wasm')` fails (the caller wraps it in a TnzipError).
 */
export async function initWasm(options: WasmOptions = {}): Promise<WasmInit> {
  const already = tf.engine().registry.wasm !== undefined;
  if (!isNode() && options.wasmPaths !== undefined && !already) {
    setWasmPaths(options.wasmPaths);
  }
  const requested = options.threads ?? (isNode() ? (await import('./node-wasm-threads.js')).nodeCores() : undefined);
  if (already) {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tf.setBackend("wasm") returned false');
    const threads = getThreadsCount();
    return requested !== undefined && requested !== threads
      ? {
          threads,
          note: `the wasm backend was already initialised with ${threads} thread(s); its pool size is fixed per process`,
        }
      : { threads };
  }
  let ok: boolean;
  if (isNode() && requested !== undefined && requested > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    const { withNodeWasmThreads } = await import('./node-wasm-threads.js');
    ok = await withNodeWasmThreads(requested, () => tf.setBackend('wasm'));
  } else {
    if (isNode()) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (requested !== undefined) setThreadsCount(requested);
    ok = await tf.setBackend('wasm');
  }
  if (!ok) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  const threads = getThreadsCount();
  return requested !== undefined && requested !== threads
    ? { threads, note: `asked for ${requested} thread(s), the pool has ${threads}` }
    : { threads };
}
