import { TnzipError } from '@tnzip/tensor';

// Browser stand-in for node-wasm-threads.ts (package.json "browser" field): browsers start tfjs'
// threaded wasm themselves (in a cross-origin-isolated page), so bundles never need the Node shims.
// wasm.ts calls these only under Node.

/** Node only; in a browser bundle it throws `BACKEND_UNAVAILABLE`. */
export async function withNodeWasmThreads<T>(_threads: number, _init: () => Promise<T>): Promise<T> {
  throw new TnzipError('BACKEND_UNAVAILABLE', 'withNodeWasmThreads: the Node thread shims do not apply in a browser');
}

/** Node only; in a browser the thread count is tfjs' own choice. */
export function nodeCores(): number {
  throw new TnzipError('BACKEND_UNAVAILABLE', 'nodeCores: Node only');
}
