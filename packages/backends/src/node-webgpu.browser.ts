import { TnzipError } from '@tnzip/tensor';

// Browser stand-in for node-webgpu.ts (package.json "browser" field): a browser has its own
// navigator.gpu, so bundles never need Dawn. webgpu.ts calls these only under Node.

/** Node only (Dawn's `navigator.gpu`); in a browser bundle it throws `BACKEND_UNAVAILABLE`. */
export function provideNodeGpu(_flags: readonly string[] = []): void {
  throw new TnzipError('BACKEND_UNAVAILABLE', 'provideNodeGpu: Dawn exists only in Node; a browser has navigator.gpu');
}

/** Node only; nothing to release in a browser. */
export function releaseNodeGpu(): void {}
