import * as tf from '@tensorflow/tfjs-core';
import { checkNumber } from '@tnzip/tensor';

/**
 * Mean softmax cross-entropy with label smoothing ε: target q = (1 − ε)·onehot(y) + ε/K,
 * loss = −(1/N) Σ_n Σ_k q_nk · log softmax(z_n)_k.
 *
 * @param logits `[N, K]`
 * @param labels int32 `[N]`, values in [0, K)
 * @param smoothing ε in [0, 1)
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  checkNumber(smoothing, 'labelSmoothing', 0, 0.999999);
  return tf.tidy(() => {
    const k = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    let q: tf.Tensor = tf.oneHot(labels, k);
    if (smoothing > 0) q = tf.add(tf.mul(q, 1 - smoothing), smoothing / k);
    return tf.neg(tf.mean(tf.sum(tf.mul(q, logp), 1))) as tf.Scalar;
  });
}

/**
 * Knowledge-distillation loss (Hinton et al. 2015): T² · (1/N) Σ_n KL(p_T(teacher_n) ‖ p_T(student_n)),
 * p_T(z) = softmax(z / T). The T² keeps gradient magnitudes comparable across temperatures.
 *
 * @param student logits `[N, K]`
 * @param teacher logits `[N, K]` (treated as a constant)
 * @param temperature T > 0
 */
export function distillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  checkNumber(temperature, 'distill.temperature', 1e-6, 1e6);
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(student, temperature));
    const logPt = tf.logSoftmax(tf.div(teacher, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
