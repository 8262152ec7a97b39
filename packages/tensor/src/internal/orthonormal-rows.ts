/*
 * Orthonormalisation of the rows of a row-major block: modified Gram–Schmidt applied twice
 * ("twice is enough", Giraud et al. 2005), so rows come out orthonormal to a few ulps even when
 * the input rows are nearly dependent. A row whose residual vanishes (a dependent or zero input
 * row) is replaced by a completing unit vector, so the result is ALWAYS an orthonormal set.
 */

/**
 * Orthonormalises rows `from .. count-1` of `q` ([count, len], row-major) in place against all
 * earlier rows. Rows `0 .. from-1` must already be orthonormal.
 *
 * @param dropTol a row whose norm falls below `dropTol` times its original norm (or is zero) is
 *   taken as dependent and replaced by a completion vector
 * @returns for each processed row, true when it was replaced by a completion vector
 */
export function orthonormalizeRows(q: Float64Array, count: number, len: number, from = 0, dropTol = 1e-10): boolean[] {
  const replaced: boolean[] = [];
  for (let r = from; r < count; r++) {
    const row = r * len;
    let n0 = 0;
    for (let t = 0; t < len; t++) n0 += (q[row + t] as number) ** 2;
    n0 = Math.sqrt(n0);
    let nrm = 0;
    if (n0 > 0) {
      for (let pass = 0; pass < 2; pass++) subtractProjections(q, r, len);
      for (let t = 0; t < len; t++) nrm += (q[row + t] as number) ** 2;
      nrm = Math.sqrt(nrm);
    }
    if (n0 === 0 || !(nrm > dropTol * n0)) {
      completeRow(q, r, len);
      replaced.push(true);
    } else {
      const inv = 1 / nrm;
      for (let t = 0; t < len; t++) q[row + t] = (q[row + t] as number) * inv;
      replaced.push(false);
    }
  }
  return replaced;
}

function subtractProjections(q: Float64Array, r: number, len: number): void {
  const row = r * len;
  for (let s = 0; s < r; s++) {
    const other = s * len;
    let dot = 0;
    for (let t = 0; t < len; t++) dot += (q[row + t] as number) * (q[other + t] as number);
    if (dot === 0) continue;
    for (let t = 0; t < len; t++) q[row + t] = (q[row + t] as number) - dot * (q[other + t] as number);
  }
}

/**
 * Replaces row r by a unit vector orthogonal to rows 0..r-1: the coordinate vector e_t whose
 * residual 1 − Σ_s q[s][t]² is largest (at least 1/len since the residuals sum to len − r),
 * orthogonalised twice. Deterministic: the lowest such t wins ties.
 */
function completeRow(q: Float64Array, r: number, len: number): void {
  const row = r * len;
  let best = 0;
  let bestRes = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < len; t++) {
    let res = 1;
    for (let s = 0; s < r; s++) res -= (q[s * len + t] as number) ** 2;
    if (res > bestRes + 1e-12) {
      bestRes = res;
      best = t;
    }
  }
  q.fill(0, row, row + len);
  q[row + best] = 1;
  for (let pass = 0; pass < 2; pass++) subtractProjections(q, r, len);
  let nrm = 0;
  for (let t = 0; t < len; t++) nrm += (q[row + t] as number) ** 2;
  const inv = 1 / Math.sqrt(nrm);
  for (let t = 0; t < len; t++) q[row + t] = (q[row + t] as number) * inv;
}
