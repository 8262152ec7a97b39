import { TnzipError } from './errors.js';
import type { Matrix64 } from './float64.js';

/**
 * `op(a) · op(b)` in float64, where `op` transposes when asked. Row-major in and out.
 *
 * @param a `[m, k]` (or `[k, m]` with `transposeA`)
 * @param b `[k, n]` (or `[n, k]` with `transposeB`)
 * @returns `[m, n]`
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
  const ad = A.data;
  const bd = B.data;
  // i-p-j order: the inner loop streams a row of B and a row of the output.
  for (let i = 0; i < m; i++) {
    const oRow = i * n;
    const aRow = i * k;
    for (let p = 0; p < k; p++) {
      const aip = ad[aRow + p] as number;
      if (aip === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) out[oRow + j] = (out[oRow + j] as number) + aip * (bd[bRow + j] as number);
    }
  }
  return { rows: m, cols: n, data: out };
}

/** The transpose of a float64 matrix, as a new matrix. */
export function transpose64(a: Matrix64): Matrix64 {
  const out = new Float64Array(a.rows * a.cols);
  const { rows, cols, data } = a;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j] as number;
  }
  return { rows: cols, cols: rows, data: out };
}
