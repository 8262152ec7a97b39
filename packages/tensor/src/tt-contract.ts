import * as tf from '@tensorflow/tfjs-core';

/** A 2-D matrix product, e.g. `tf.matMul` or a kernel with faster gradients. */
export type MatMul2D = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

const plainMatMul: MatMul2D = (a, b) => tf.matMul(a, b);

/**
 * Sequential contraction of a batch with a chain of TT-matrix cores (Novikov et al. 2015):
 *
 * `y[b, i_1…i_d, β] = Σ_{α, j} z[b, α, j_1…j_d] · G_1[α, i_1, j_1, ·] ⋯ G_d[·, i_d, j_d, β]`
 *
 * Call inside `tf.tidy`: the intermediates are not disposed (it runs inside forward passes).
 *
 * with `G_k` of shape `[r_{k-1}, m_k, n_k, r_k]`. Each step is one transpose, one reshape and
 * one plain matMul, so the dense matrix is never formed and the gradient uses fast kernels.
 *
 * @param z `[B, r_0 · Π n_k]` (row-major `[B, r_0, n_1, …, n_d]`)
 * @returns `[B, Π m_k · r_d]` (row-major `[B, m_1, …, m_d, r_d]`)
 */
export function ttContract(z: tf.Tensor, cores: readonly tf.Tensor[], matMul: MatMul2D = plainMatMul): tf.Tensor2D {
  const batch = z.shape[0] as number;
  let rest = 1;
  for (const c of cores) rest *= c.shape[2] as number;
  let p = 1;
  let cur = z;
  for (const g of cores) {
    const [r0, m, n, r1] = g.shape as [number, number, number, number];
    rest /= n;
    // [B·P, r0, n, rest] → [B·P·rest, r0·n]
    const z4 = tf.reshape(cur, [batch * p, r0, n, rest]);
    const zt = tf.reshape(tf.transpose(z4, [0, 3, 1, 2]), [batch * p * rest, r0 * n]);
    const g2 = tf.reshape(tf.transpose(g, [0, 2, 1, 3]), [r0 * n, m * r1]) as tf.Tensor2D;
    const y = matMul(zt as tf.Tensor2D, g2);
    // [B·P, rest, m, r1] → [B·P·m, r1, rest]
    cur = tf.transpose(tf.reshape(y, [batch * p, rest, m, r1]), [0, 2, 3, 1]);
    p *= m;
  }
  const rLast = cores.length === 0 ? 1 : ((cores[cores.length - 1] as tf.Tensor).shape[3] as number);
  return tf.reshape(cur, [batch, p * rLast]) as tf.Tensor2D;
}

/**
 * The full matrix of a TT-matrix chain, `[Π m_k, Π n_k]` with row and column multi-indices in
 * C order (boundary ranks must be 1). Differentiable: reshapes, 5-D transposes and matMuls.
 */
export function ttMatrixFull(cores: readonly tf.Tensor[], matMul: MatMul2D = plainMatMul): tf.Tensor2D {
  const first = cores[0] as tf.Tensor;
  const [, m0, n0, r0] = first.shape as [number, number, number, number];
  let pi = m0;
  let pj = n0;
  let acc = tf.reshape(first, [pi * pj, r0]);
  let r = r0;
  for (let k = 1; k < cores.length; k++) {
    const g = cores[k] as tf.Tensor;
    const [, m, n, r1] = g.shape as [number, number, number, number];
    const y = matMul(acc as tf.Tensor2D, tf.reshape(g, [r, m * n * r1]) as tf.Tensor2D);
    acc = tf.reshape(tf.transpose(tf.reshape(y, [pi, pj, m, n, r1]), [0, 2, 1, 3, 4]), [pi * m * pj * n, r1]);
    pi *= m;
    pj *= n;
    r = r1;
  }
  return tf.reshape(acc, [pi, pj]) as tf.Tensor2D;
}

/**
 * MACs per example of {@link ttContract} with cores of shapes `[r_{k-1}, m_k, n_k, r_k]`:
 * `Σ_k r_{k-1}·r_k·m_k·n_k·(Π_{i<k} m_i)·(Π_{i>k} n_i)` (papers.md §5, TT-FC).
 */
export function ttContractMacs(shapes: readonly (readonly number[])[]): number {
  let rest = 1;
  for (const s of shapes) rest *= s[2] as number;
  let p = 1;
  let total = 0;
  for (const [r0, m, n, r1] of shapes as [number, number, number, number][]) {
    rest /= n;
    total += r0 * r1 * m * n * p * rest;
    p *= m;
  }
  return total;
}
