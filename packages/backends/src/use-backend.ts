import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { TnzipError } from '@tnzip/tensor';
import { type BackendChoice, type BackendName, parseBackendChoice } from './backend-name.js';
import { isNode } from './environment.js';
import { initWasm, type WasmOptions } from './wasm.js';
import { initWebgpu, probeWebgpu, type WebgpuOptions } from './webgpu.js';

/**
 * The cpu backend, registered where tfjs-backend-cpu's own registration did not run. An esbuild
 * bundle for Node takes the package's `main` build, which its `sideEffects` list omits, so a bare
 * import of it is dropped; this named import keeps the module, and the check covers the rest.
 */
function ensureCpuBackend(): void {
  if (tf.findBackendFactory('cpu') === null) tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
}

/** Options for {@link useBackend}. */
export interface UseBackendOptions extends WasmOptions {
  /** WebGPU adapter selection (and Dawn flags in Node). */
  webgpu?: WebgpuOptions;
}

/** The backend now active, and why it was chosen. */
export interface BackendInfo {
  backend: BackendName;
  /** One sentence: what was requested, what was found, what was skipped and why. */
  reason: string;
  /** wasm only: the XNNPACK thread-pool size in use. */
  threads?: number;
}

function unavailable(name: BackendName, why: string, cause?: unknown): TnzipError {
  return new TnzipError('BACKEND_UNAVAILABLE', `backend '${name}' is unavailable: ${why}`, { cause });
}

function checkThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1 || threads > 4) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `threads: expected an integer in [1, 4] (tfjs' wasm thread-pool maximum), got ${threads}`,
    );
  }
}

async function startWasm(options: UseBackendOptions): Promise<{ threads: number; note?: string }> {
  try {
    return await initWasm(options);
  } catch (e) {
    throw unavailable('wasm', e instanceof Error ? e.message : String(e), e);
  }
}

/**
 * Initialises and activates a tfjs backend, in Node or in a browser.
 *
 * - `'webgpu'`: WebGPU through `navigator.gpu` (in Node: Dawn from the `webgpu` package).
 * - `'wasm'`: XNNPACK in WebAssembly; in Node the binaries come from the installed package and
 *   `threads > 1` starts the threaded binary (see `withNodeWasmThreads`); in browsers set
 *   `wasmPaths` to where the `.wasm` files are served.
 * - `'cpu'`: plain JavaScript, always available (the reference for correctness).
 * - `'auto'`: the first of webgpu (when an adapter exists), wasm, cpu that initialises.
 *
 * @returns the backend now active, its thread count (wasm) and the reason for the choice.
 * @throws TnzipError `INVALID_ARGUMENT` for an unknown name or a bad `threads`;
 *   `BACKEND_UNAVAILABLE` (naming the backend and the cause) when an explicitly requested
 *   backend cannot initialise. `auto` never throws BACKEND_UNAVAILABLE: cpu always works.
 *
 * @example
 * const { backend, reason } = await useBackend('auto');
 * console.log(`running on ${backend}: ${reason}`);
 */
export async function useBackend(name: BackendChoice, options: UseBackendOptions = {}): Promise<BackendInfo> {
  const choice = parseBackendChoice(String(name), 'useBackend name');
  checkThreads(options.threads);
  ensureCpuBackend();
  switch (choice) {
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw unavailable('cpu', 'tf.setBackend("cpu") failed');
      return { backend: 'cpu', reason: 'requested cpu' };
    }
    case 'wasm': {
      const w = await startWasm(options);
      return { backend: 'wasm', reason: withNote('requested wasm', w.note), threads: w.threads };
    }
    case 'webgpu': {
      const probe = await probeWebgpu(options.webgpu);
      if (!probe.ok) throw unavailable('webgpu', probe.reason);
      try {
        await initWebgpu(probe.adapter);
      } catch (e) {
        throw unavailable('webgpu', e instanceof Error ? e.message : String(e), e);
      }
      return { backend: 'webgpu', reason: `requested webgpu; adapter: ${probe.description}` };
    }
    case 'auto':
      return autoBackend(options);
  }
}

function withNote(reason: string, note: string | undefined): string {
  return note === undefined ? reason : `${reason} (${note})`;
}

async function autoBackend(options: UseBackendOptions): Promise<BackendInfo> {
  const skipped: string[] = [];
  const probe = await probeWebgpu(options.webgpu);
  if (probe.ok) {
    try {
      await initWebgpu(probe.adapter);
      return { backend: 'webgpu', reason: `auto: WebGPU adapter found (${probe.description})` };
    } catch (e) {
      skipped.push(`webgpu failed to initialise (${e instanceof Error ? e.message : String(e)})`);
    }
  } else {
    skipped.push(`no webgpu: ${probe.reason}`);
  }
  try {
    const w = await initWasm(options);
    const where = isNode() ? 'Node' : 'browser';
    return {
      backend: 'wasm',
      reason: withNote(`auto: ${skipped.join('; ')}; using wasm in ${where}`, w.note),
      threads: w.threads,
    };
  } catch (e) {
    skipped.push(`no wasm: ${e instanceof Error ? e.message : String(e)}`);
  }
  await tf.setBackend('cpu');
  return { backend: 'cpu', reason: `auto: ${skipped.join('; ')}; using cpu` };
}
