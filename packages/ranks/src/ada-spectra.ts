import { matrix64, sizeOf, svd64, TnzipError } from '@tnzip/tensor';

/**
 * HOSVD spectra of a weight reshaped to `dims`: for each mode i, the squared singular values
 * of the mode-i unfolding (the eigenvalues of its `m_i × m_i` Gram matrix), descending, length
 * `m_i`. `data` holds the weight's entries row-major; when `Π dims` exceeds its length the rest
 * are zeros (the zero-padding of the dimension adjustment). Cost: `Π dims · Σ m_i` flops.
 *
 * Used as the error model of the ADA/SCADA rank choice: truncating mode i to rank r_i (HOSVD)
 * loses at most `Σ_i Σ_{k ≥ r_i} σ²_{i,k}` of `‖W‖²` (De Lathauwer et al. 2000, property 10).
 */
export function modeSpectra(data: Float64Array, dims: readonly number[]): Float64Array[] {
  const total = sizeOf(dims);
  if (data.length > total) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `dims [${dims.join(', ')}] hold ${total} entries, the weight has ${data.length}`,
    );
  }
  const x = new Float64Array(total);
  x.set(data);
  let outer = 1;
  return dims.map((m) => {
    const inner = total / (outer * m);
    const g = new Float64Array(m * m);
    for (let o = 0; o < outer; o++) {
      const base = o * m * inner;
      for (let a = 0; a < m; a++) {
        const ra = base + a * inner;
        for (let b = a; b < m; b++) {
          const rb = base + b * inner;
          let s = 0;
          for (let t = 0; t < inner; t++) s += (x[ra + t] as number) * (x[rb + t] as number);
          g[a * m + b] = (g[a * m + b] as number) + s;
        }
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) g[a * m + b] = g[b * m + a] as number;
    outer *= m;
    return Float64Array.from(svd64(matrix64(g, m, m)).s);
  });
}

/** `tails[i][r]` = `Σ_{k ≥ r} spectra[i][k]`: the energy mode i loses at rank r (length m_i + 1). */
export function spectralTails(spectra: readonly Float64Array[]): Float64Array[] {
  return spectra.map((s) => {
    const t = new Float64Array(s.length + 1);
    for (let k = s.length - 1; k >= 0; k--) t[k] = (t[k + 1] as number) + (s[k] as number);
    return t;
  });
}
