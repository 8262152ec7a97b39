/*
 * Symmetric eigensolver in float64: Householder tridiagonalisation followed by the implicit QL
 * algorithm with Wilkinson-like shifts — EISPACK's tred2/tql2, as in JAMA's
 * EigenvalueDecomposition (public domain). JAMA works on V[row][col] with column-wise inner
 * loops; here the working matrix is stored TRANSPOSED (w[c*n + r] holds V[r][c]), which turns
 * every inner loop into a contiguous row sweep, and the eigenvectors come out as rows.
 * Backward stable: the computed pairs are exact for a + E with ‖E‖ ≈ n·eps·‖a‖.
 * The same two routines run compiled to wasm SIMD (./wasm-sym-eig.ts) where available, 5–6x
 * faster at n = 512; these JavaScript ones are the fallback.
 */

import { tridiagonalQlWasm } from './wasm-sym-eig.js';

/** Eigen-decomposition of a symmetric matrix `a = Σ λ_j q_j q_jᵀ`. */
export interface SymEig {
  /** Eigenvalues, descending. */
  readonly values: Float64Array;
  /** `[n, n]` row-major; ROW j is the unit eigenvector of `values[j]`. Rows are orthonormal. */
  readonly vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of the symmetric `n x n` row-major matrix `a` (not modified;
 * only its lower triangle is read as the symmetric matrix is the mirror of it anyway).
 */
export function symEig(a: Float64Array, n: number): SymEig {
  const w = Float64Array.from(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 1) {
    w[0] = 1;
    return { values: Float64Array.of(a[0] as number), vectors: w };
  }
  if (!tridiagonalQlWasm(w, d, e, n)) {
    tred2(w, d, e, n);
    tql2(w, d, e, n);
  }
  // Sort descending (selection sort on indices: O(n²), negligible next to O(n³)).
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => (d[y] as number) - (d[x] as number) || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j] as number;
    values[j] = d[src] as number;
    vectors.set(w.subarray(src * n, src * n + n), j * n);
  }
  return { values, vectors };
}

/** Householder reduction to tridiagonal form; w (transposed V) becomes the accumulated Q. */
function tred2(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1] as number;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k] as number);
    if (scale === 0) {
      e[i] = d[i - 1] as number;
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1] as number;
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        const v = (d[k] as number) / scale;
        d[k] = v;
        h += v * v;
      }
      let f = d[i - 1] as number;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j] as number;
        w[i * n + j] = f;
        const row = j * n;
        g = (e[j] as number) + (w[row + j] as number) * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const wk = w[row + k] as number;
          g += wk * (d[k] as number);
          e[k] = (e[k] as number) + wk * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const v = (e[j] as number) / h;
        e[j] = v;
        f += v * (d[j] as number);
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = (e[j] as number) - hh * (d[j] as number);
      for (let j = 0; j < i; j++) {
        f = d[j] as number;
        g = e[j] as number;
        const row = j * n;
        for (let k = j; k <= i - 1; k++) {
          w[row + k] = (w[row + k] as number) - (f * (e[k] as number) + g * (d[k] as number));
        }
        d[j] = w[row + i - 1] as number;
        w[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    w[i * n + n - 1] = w[i * n + i] as number;
    w[i * n + i] = 1;
    const h = d[i + 1] as number;
    const r1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = (w[r1 + k] as number) / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += (w[r1 + k] as number) * (w[row + k] as number);
        for (let k = 0; k <= i; k++) w[row + k] = (w[row + k] as number) - g * (d[k] as number);
      }
    }
    for (let k = 0; k <= i; k++) w[r1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1] as number;
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function hypot(a: number, b: number): number {
  const r = Math.sqrt(a * a + b * b);
  // Fall back to the overflow-safe (and slow) builtin only when squaring over/underflowed.
  return r === Number.POSITIVE_INFINITY || (r === 0 && (a !== 0 || b !== 0)) ? Math.hypot(a, b) : r;
}

/** Implicit QL on the tridiagonal (d, e); rotations are applied to the rows of w. */
function tql2(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i] as number;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l] as number) + Math.abs(e[l] as number));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m] as number) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        iter++;
        let g = d[l] as number;
        let p = ((d[l + 1] as number) - g) / (2 * (e[l] as number));
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = (e[l] as number) / (p + r);
        d[l + 1] = (e[l] as number) * (p + r);
        const dl1 = d[l + 1] as number;
        let h = g - (d[l] as number);
        for (let i = l + 2; i < n; i++) d[i] = (d[i] as number) - h;
        f += h;
        p = d[m] as number;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1] as number;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = e[i] as number;
          g = c * ei;
          h = c * p;
          r = hypot(p, ei);
          e[i + 1] = s * r;
          s = ei / r;
          c = p / r;
          const di = d[i] as number;
          p = c * di - s * g;
          d[i + 1] = h + s * (c * g + s * di);
          const r0 = i * n;
          const r1 = r0 + n;
          for (let k = 0; k < n; k++) {
            const x = w[r1 + k] as number;
            const y = w[r0 + k] as number;
            w[r1 + k] = s * y + c * x;
            w[r0 + k] = c * y - s * x;
          }
        }
        p = (-s * s2 * c3 * el1 * (e[l] as number)) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (iter > 60) break; // never seen in practice; keeps a pathological input from spinning
      } while (Math.abs(e[l] as number) > eps * tst1);
    }
    d[l] = (d[l] as number) + f;
    e[l] = 0;
  }
}
