import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import './register-gradients.js';

/**
 * `a · b` for `a: [m, k]`, `b: [k, n]` → `[m, n]`, whose gradients are plain matMuls after
 * explicit transposes: dA = dY · Bᵀ, dB = Aᵀ · dY.
 *
 * Why: tfjs's built-in MatMul gradient calls matMul with transposeA / transposeB, which
 * tfjs-backend-wasm runs ~15x slower than a plain matMul (a loop instead of XNNPACK's GEMM).
 * The fast gradient is registered for tfjs's BatchMatMul kernel (register-gradients.ts), so it is
 * lazy (no dA for a data input) and applies to every `tf.matMul`; this function adds the checks.
 */
export function fastMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `fastMatMul: expected a [m, k] and b [k, n], got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`,
    );
  }
  return tf.matMul(a, b);
}
