import { addressOf, arena, wasmKernels } from './wasm-kernels.js';

/** Below this order the copies cost more than the wasm eigensolver saves. */
const MIN_N = 16;

/**
 * tred2 + tql2 of ./sym-eig.ts on the wasm kernels (../../wasm/sym-eig.ts), in place on the
 * transposed working matrix `w` [n, n] and `d`, `e` (length n); false when it did not run.
 */
export function tridiagonalQlWasm(w: Float64Array, d: Float64Array, e: Float64Array, n: number): boolean {
  const kern = n >= MIN_N ? wasmKernels() : null;
  if (kern === null) return false;
  const mem = arena(kern, n * n + 2 * n);
  if (mem === null) return false;
  mem.set(w.subarray(0, n * n), 0);
  mem.fill(0, n * n, n * n + 2 * n);
  const [pw, pd, pe] = [addressOf(0), addressOf(n * n), addressOf(n * n + n)];
  kern.exports.tred2(pw, pd, pe, n);
  kern.exports.tql2(pw, pd, pe, n);
  w.set(mem.subarray(0, n * n));
  d.set(mem.subarray(n * n, n * n + n));
  e.set(mem.subarray(n * n + n, n * n + 2 * n));
  return true;
}
