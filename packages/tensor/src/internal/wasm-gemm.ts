import { addressOf, arena, wasmKernels } from './wasm-kernels.js';

/*
 * GEMM and Gram products on the wasm kernels (../../wasm/gemm.ts): the operands are copied into
 * the kernels' memory, padded with zeros to multiples of 4 rows and columns, and the result is
 * copied back. Below MIN_WORK multiply-adds the copies cost more than the kernel saves.
 */

const MIN_WORK = 32 ** 3;
/** Doubles of packing scratch the kernel needs (KC x NC = 256 x 128). */
const WORK = 256 * 128;
const TRANS_B = 1;
const LOWER = 2;

const ceil4 = (x: number) => Math.ceil(x / 4) * 4;

/** Copies the row-major [rows, cols] matrix `src` into `dst` at `at` with rows `stride` long, zero-padded. */
function putPadded(dst: Float64Array, at: number, src: Float64Array, rows: number, cols: number, stride: number): void {
  if (stride === cols) {
    dst.set(src.subarray(0, rows * cols), at);
    return;
  }
  for (let r = 0; r < rows; r++) {
    dst.set(src.subarray(r * cols, r * cols + cols), at + r * stride);
    dst.fill(0, at + r * stride + cols, at + (r + 1) * stride);
  }
}

/** `c += a · b` (row-major [m,k]·[k,n] into [m,n]) on the wasm kernel; false when it did not run. */
export function gemmWasm(a: Float64Array, b: Float64Array, c: Float64Array, m: number, k: number, n: number): boolean {
  const kern = m * k * n >= MIN_WORK ? wasmKernels() : null;
  if (kern === null) return false;
  const mp = ceil4(m);
  const np = ceil4(n);
  const a0 = WORK;
  const b0 = a0 + mp * k;
  const c0 = b0 + k * np;
  const mem = arena(kern, c0 + mp * np);
  if (mem === null) return false;
  mem.set(a.subarray(0, m * k), a0);
  mem.fill(0, a0 + m * k, b0);
  putPadded(mem, b0, b, k, n, np);
  putPadded(mem, c0, c, m, n, np);
  mem.fill(0, c0 + m * np, c0 + mp * np);
  kern.exports.gemm(addressOf(a0), addressOf(b0), addressOf(c0), mp, k, np, addressOf(0), 0);
  for (let r = 0; r < m; r++) c.set(mem.subarray(c0 + r * np, c0 + r * np + n), r * n);
  return true;
}

/** The symmetric `a · aᵀ` ([m, m] of row-major [m, k]) on the wasm kernel; null when it did not run. */
export function gramWasm(a: Float64Array, m: number, k: number): Float64Array | null {
  const kern = m * m * k >= 2 * MIN_WORK ? wasmKernels() : null;
  if (kern === null) return null;
  const mp = ceil4(m);
  const a0 = WORK;
  const c0 = a0 + mp * k;
  const mem = arena(kern, c0 + mp * mp);
  if (mem === null) return null;
  mem.set(a.subarray(0, m * k), a0);
  mem.fill(0, a0 + m * k, c0 + mp * mp);
  kern.exports.gemm(addressOf(a0), addressOf(a0), addressOf(c0), mp, k, mp, addressOf(0), TRANS_B | LOWER);
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      const v = mem[c0 + i * mp + j] as number;
      g[i * m + j] = v;
      g[j * m + i] = v;
    }
  }
  return g;
}
