import * as tf from '@tensorflow/tfjs-core';

/**
 * `x` rounded to the 256 levels that uint8 storage keeps of it: the tensor form of
 * `quantizeWeights(…, 'uint8')` (keras/quantize.ts, the one quantizer model files use) followed by
 * tfjs's dequantization — `scale = (max − min) / 255` (1 for a constant tensor),
 * `q = round((x − min) / scale)`, result `q·scale + min`, per tensor. Computed in float32 on the
 * backend, so it can differ from the stored value by float32 rounding (or one level at an exact
 * half, where tfjs rounds to even and `Math.round` up). No gradient is defined: see
 * {@link fakeQuantize}.
 */
export function quantizeDequantize(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (x.size === 0) return tf.clone(x);
    const min = tf.min(x);
    const max = tf.max(x);
    const range = tf.sub(max, min);
    const scale = tf.where(tf.greater(range, 0), tf.div(range, 255), tf.onesLike(range));
    const q = tf.round(tf.div(tf.sub(x, min), scale));
    return tf.add(tf.mul(q, scale), min);
  });
}

/**
 * uint8 fake quantization with the straight-through estimator: the forward value is
 * {@link quantizeDequantize}`(x)`, the gradient passes unchanged (`∂L/∂x := ∂L/∂x̂`), so training
 * sees the stored (quantized) weights while the float weights keep accumulating updates smaller
 * than one level (Bengio et al. 2013; Jacob et al. 2018).
 */
export const fakeQuantize: (x: tf.Tensor) => tf.Tensor = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: quantizeDequantize(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => dy,
  }),
) as (x: tf.Tensor) => tf.Tensor;
