import { TnzipError } from './errors.js';
import type { Matrix64 } from './float64.js';
import { gemmWasm, gramWasm } from './internal/wasm-gemm.js';

/*
 * Float64 GEMM. Where WebAssembly SIMD runs, the products go to the wasm kernel
 * (./internal/wasm-gemm.ts: f64x2, packed panels, 14.5 GFLOP/s against 3.2 for the loop below on
 * a 2-core EPYC, same bits); the JavaScript kernel is the fallback and serves small products.
 * The JavaScript kernel: V8 does not vectorise, so speed comes from memory traffic:
 * the kernel is the i-k-j ("axpy") order on row-major data — the inner loop streams one row of
 * B and one row of C — unrolled over 2 rows of A and 4 steps of k, so that each loaded B value
 * feeds two multiply-adds and each C element is loaded and stored once per 4 k-steps. A KC x NC
 * panel of B (256 x 256 doubles = 512 KiB) stays in L2 while every row of A passes over it.
 * 512x4608 · 4608x512 on a quiet 2-core machine: naive i-k-j 1.3 GFLOP/s, this kernel 3.2–5.3.
 */
const KC = 256;
const NC = 256;

/**
 * `op(a) · op(b)` in float64, where `op` transposes when asked. Row-major in and out. A
 * transposed operand is transposed explicitly first (O(size), small next to the product).
 *
 * @param a `[m, k]` (or `[k, m]` with `transposeA`)
 * @param b `[k, n]` (or `[n, k]` with `transposeB`)
 * @returns `[m, n]`, a new matrix
 * @throws TnzipError SHAPE_MISMATCH when the inner dimensions differ
 */
export function matmul64(a: Matrix64, b: Matrix64, transposeA = false, transposeB = false): Matrix64 {
  const m = transposeA ? a.cols : a.rows;
  const k = transposeA ? a.rows : a.cols;
  const kb = transposeB ? b.cols : b.rows;
  const n = transposeB ? b.rows : b.cols;
  if (k !== kb) {
    throw new TnzipError('SHAPE_MISMATCH', `matmul64: inner dimensions differ (${k} vs ${kb})`);
  }
  const A = transposeA ? transpose64(a) : a;
  const B = transposeB ? transpose64(b) : b;
  const out = new Float64Array(m * n);
  gemmAccumulate(A.data, B.data, out, m, k, n);
  return { rows: m, cols: n, data: out };
}

/**
 * `c += a · b` for row-major `a` [m,k], `b` [k,n], `c` [m,n]. The kernel behind
 * {@link matmul64}, exposed for callers that reuse an output buffer.
 */
export function gemmAccumulate(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  if (!gemmWasm(a, b, c, m, k, n)) gemmJs(a, b, c, m, k, n);
}

function gemmJs(a: Float64Array, b: Float64Array, c: Float64Array, m: number, k: number, n: number): void {
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = Math.min(n, j0 + NC);
    for (let k0 = 0; k0 < k; k0 += KC) {
      const k1 = Math.min(k, k0 + KC);
      let i = 0;
      for (; i + 2 <= m; i += 2) {
        const o0 = i * n;
        const o1 = o0 + n;
        const r0 = i * k;
        const r1 = r0 + k;
        let p = k0;
        for (; p + 4 <= k1; p += 4) {
          const a00 = a[r0 + p] as number;
          const a01 = a[r0 + p + 1] as number;
          const a02 = a[r0 + p + 2] as number;
          const a03 = a[r0 + p + 3] as number;
          const a10 = a[r1 + p] as number;
          const a11 = a[r1 + p + 1] as number;
          const a12 = a[r1 + p + 2] as number;
          const a13 = a[r1 + p + 3] as number;
          const b0 = p * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = j0; j < j1; j++) {
            const x0 = b[b0 + j] as number;
            const x1 = b[b1 + j] as number;
            const x2 = b[b2 + j] as number;
            const x3 = b[b3 + j] as number;
            c[o0 + j] = (c[o0 + j] as number) + a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
            c[o1 + j] = (c[o1 + j] as number) + a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
          }
        }
        for (; p < k1; p++) {
          const a0 = a[r0 + p] as number;
          const a1 = a[r1 + p] as number;
          const b0 = p * n;
          for (let j = j0; j < j1; j++) {
            const x = b[b0 + j] as number;
            c[o0 + j] = (c[o0 + j] as number) + a0 * x;
            c[o1 + j] = (c[o1 + j] as number) + a1 * x;
          }
        }
      }
      for (; i < m; i++) {
        const o0 = i * n;
        const r0 = i * k;
        for (let p = k0; p < k1; p++) {
          const a0 = a[r0 + p] as number;
          const b0 = p * n;
          for (let j = j0; j < j1; j++) c[o0 + j] = (c[o0 + j] as number) + a0 * (b[b0 + j] as number);
        }
      }
    }
  }
}

/**
 * The Gram matrix `a · aᵀ` ([rows, rows], symmetric) of a row-major matrix: dot products of
 * contiguous rows, only the lower triangle computed (half the flops of a GEMM) and mirrored.
 * 4x2 register blocks, the shared dimension cut into KC-long slices to stay in cache.
 */
export function gram64(a: Matrix64): Matrix64 {
  const fast = gramWasm(a.data, a.rows, a.cols);
  return { rows: a.rows, cols: a.rows, data: fast ?? gramJs(a) };
}

function gramJs(a: Matrix64): Float64Array {
  const { rows: m, cols: k, data: d } = a;
  const g = new Float64Array(m * m);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const k1 = Math.min(k, k0 + KC);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = i * k;
      const a1 = a0 + k;
      const a2 = a1 + k;
      const a3 = a2 + k;
      // j runs over whole 2-blocks at or below row i+3; the few upper entries computed
      // there are overwritten by the mirror below.
      let j = 0;
      for (; j + 2 <= i + 4; j += 2) {
        const b0 = j * k;
        const b1 = b0 + k;
        let c00 = 0;
        let c01 = 0;
        let c10 = 0;
        let c11 = 0;
        let c20 = 0;
        let c21 = 0;
        let c30 = 0;
        let c31 = 0;
        for (let p = k0; p < k1; p++) {
          const x0 = d[b0 + p] as number;
          const x1 = d[b1 + p] as number;
          const y0 = d[a0 + p] as number;
          const y1 = d[a1 + p] as number;
          const y2 = d[a2 + p] as number;
          const y3 = d[a3 + p] as number;
          c00 += y0 * x0;
          c01 += y0 * x1;
          c10 += y1 * x0;
          c11 += y1 * x1;
          c20 += y2 * x0;
          c21 += y2 * x1;
          c30 += y3 * x0;
          c31 += y3 * x1;
        }
        const o = i * m + j;
        g[o] = (g[o] as number) + c00;
        g[o + 1] = (g[o + 1] as number) + c01;
        g[o + m] = (g[o + m] as number) + c10;
        g[o + m + 1] = (g[o + m + 1] as number) + c11;
        g[o + 2 * m] = (g[o + 2 * m] as number) + c20;
        g[o + 2 * m + 1] = (g[o + 2 * m + 1] as number) + c21;
        g[o + 3 * m] = (g[o + 3 * m] as number) + c30;
        g[o + 3 * m + 1] = (g[o + 3 * m + 1] as number) + c31;
      }
    }
    for (; i < m; i++) {
      const a0 = i * k;
      for (let j = 0; j <= i; j++) {
        const b0 = j * k;
        let c = 0;
        for (let p = k0; p < k1; p++) c += (d[a0 + p] as number) * (d[b0 + p] as number);
        g[i * m + j] = (g[i * m + j] as number) + c;
      }
    }
  }
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) g[i * m + j] = g[j * m + i] as number;
  return g;
}

/** The transpose of a float64 matrix, as a new matrix (32x32 tiles, cache-friendly on both sides). */
export function transpose64(a: Matrix64): Matrix64 {
  const out = new Float64Array(a.rows * a.cols);
  const { rows, cols, data } = a;
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = data[i * cols + j] as number;
      }
    }
  }
  return { rows: cols, cols: rows, data: out };
}
