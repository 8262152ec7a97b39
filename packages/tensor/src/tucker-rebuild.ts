import * as tf from '@tensorflow/tfjs-core';
import type { MatMul2D } from './tt-contract.js';

/**
 * Tucker reconstruction `core ×_1 U_1 ×_2 U_2 … ×_d U_d` (factors `[m_i, r_i]`) by cycling the
 * modes: each step is `X_(1)ᵀ · U_iᵀ`, which multiplies the leading mode and moves it last, so
 * only 2-D transposes and plain matMuls appear (any order d, fast gradients).
 *
 * @returns the full tensor, shape `[m_1, …, m_d]`
 */
export function tuckerRebuild(
  core: tf.Tensor,
  factors: readonly tf.Tensor[],
  matMul: MatMul2D = (a, b) => tf.matMul(a, b),
): tf.Tensor {
  let x = core;
  let size = core.size;
  for (const u of factors) {
    const [m, r] = u.shape as [number, number];
    const x2 = tf.transpose(tf.reshape(x, [r, size / r]));
    x = matMul(x2 as tf.Tensor2D, tf.transpose(u) as tf.Tensor2D);
    size = (size / r) * m;
  }
  return tf.reshape(
    x,
    factors.map((u) => u.shape[0] as number),
  );
}
