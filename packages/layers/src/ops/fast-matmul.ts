import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';

/**
 * `a · b` for `a: [m, k]`, `b: [k, n]` → `[m, n]`, whose gradients are plain matMuls after
 * explicit transposes: dA = dY · Bᵀ, dB = Aᵀ · dY.
 *
 * Why: tfjs's built-in MatMul gradient calls matMul with transposeA / transposeB, which
 * tfjs-backend-wasm runs ~15x slower than a plain matMul (a loop instead of XNNPACK's GEMM).
 */
export function fastMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new TnzipError('SHAPE_MISMATCH', `fastMatMul: expected a [m, k] and b [k, n], got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`);
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const aIn = args[0] as tf.Tensor;
    const bIn = args[1] as tf.Tensor;
    const save = args[2] as tf.GradSaveFunc;
    save([aIn, bIn]);
    const value = tf.matMul(aIn as tf.Tensor2D, bIn as tf.Tensor2D);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return [tf.matMul(d, tf.transpose(sb)), tf.matMul(tf.transpose(sa), d)];
    };
    return { value, gradFunc };
  });
  return op(a, b) as tf.Tensor2D;
}
