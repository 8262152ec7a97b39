import * as tf from '@tensorflow/tfjs-core';
import type { MatMul2D } from './tt-contract.js';

/** Options of {@link tuckerRebuild}. */
export interface TuckerRebuildOptions {
  /**
   * `'full'` (default): the result has shape `[m_1, …, m_d]`. `'matrix'`: the same entries,
   * row-major, as the 2-D `[m_1·…·m_{d-1}, m_d]` (`[1, m_1]` for d = 1) — no tensor of rank
   * above 2 is created at all, which any order needs on tfjs-backend-wasm (its element-wise
   * kernels return garbage on 7-D tensors, and a `'full'` result's gradient is such a tensor).
   */
  readonly shape?: 'full' | 'matrix';
}

/**
 * Tucker reconstruction `core ×_1 U_1 ×_2 U_2 … ×_d U_d` (factors `[m_i, r_i]`) by cycling the
 * modes: each step is `X_(1)ᵀ · U_iᵀ` on the 2-D view `[r_i, rest]` of the running tensor, which
 * multiplies the leading mode and moves it last, so only 2-D reshapes, 2-D transposes and plain
 * matMuls appear (any order d, fast gradients). `core` may have any shape with `Π r_i` entries
 * in row-major order `[r_1, …, r_d]` (e.g. the 2-D unfolding `[r_1, r_2·…·r_d]`).
 *
 * @returns the full tensor, shape `[m_1, …, m_d]` (or its 2-D view, see {@link TuckerRebuildOptions})
 */
export function tuckerRebuild(
  core: tf.Tensor,
  factors: readonly tf.Tensor[],
  matMul: MatMul2D = (a, b) => tf.matMul(a, b),
  options: TuckerRebuildOptions = {},
): tf.Tensor {
  let x = core;
  let size = core.size;
  for (const u of factors) {
    const [m, r] = u.shape as [number, number];
    const x2 = tf.transpose(tf.reshape(x, [r, size / r]));
    x = matMul(x2 as tf.Tensor2D, tf.transpose(u) as tf.Tensor2D);
    size = (size / r) * m;
  }
  const dims = factors.map((u) => u.shape[0] as number);
  if (options.shape === 'matrix') {
    const last = dims[dims.length - 1] ?? 1;
    return tf.reshape(x, [size / last, last]);
  }
  return tf.reshape(x, dims);
}
