import type { Matrix64 } from '../float64.js';

/**
 * Thin Householder QR of a float64 matrix: `a = q · r`.
 *
 * With `k = min(rows, cols)`: `q` is `[rows, k]` with orthonormal columns, `r` is `[k, cols]`
 * upper triangular. Householder (not Gram–Schmidt) so that `q` stays orthonormal to machine
 * precision even when `a` is rank deficient — TT rounding relies on exact orthogonality for
 * its error bound.
 */
export function qr64(a: Matrix64): { q: Matrix64; r: Matrix64 } {
  const m = a.rows;
  const n = a.cols;
  const k = Math.min(m, n);
  const w = Float64Array.from(a.data);
  const vs: Float64Array[] = [];
  const betas = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let norm2 = 0;
    for (let i = j; i < m; i++) {
      const x = w[i * n + j] as number;
      norm2 += x * x;
    }
    const v = new Float64Array(m - j);
    vs.push(v);
    if (norm2 === 0) continue;
    const norm = Math.sqrt(norm2);
    const ajj = w[j * n + j] as number;
    // The sign choice avoids cancellation in v[0].
    const alpha = ajj >= 0 ? -norm : norm;
    v[0] = ajj - alpha;
    for (let i = j + 1; i < m; i++) v[i - j] = w[i * n + j] as number;
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += (v[i] as number) * (v[i] as number);
    const beta = 2 / vn2;
    betas[j] = beta;
    for (let c = j; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += (v[i - j] as number) * (w[i * n + c] as number);
      s *= beta;
      if (s === 0) continue;
      for (let i = j; i < m; i++) w[i * n + c] = (w[i * n + c] as number) - s * (v[i - j] as number);
    }
  }
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c] as number;
  // Q = H_0 H_1 … H_{k-1} · I[:, :k], applied right to left.
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j] as Float64Array;
    const beta = betas[j] as number;
    if (beta === 0) continue;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += (v[i - j] as number) * (q[i * k + c] as number);
      s *= beta;
      if (s === 0) continue;
      for (let i = j; i < m; i++) q[i * k + c] = (q[i * k + c] as number) - s * (v[i - j] as number);
    }
  }
  return { q: { rows: m, cols: k, data: q }, r: { rows: k, cols: n, data: r } };
}
