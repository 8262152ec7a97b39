import * as tf from '@tensorflow/tfjs-core';
import { WASM_MAX_POOL_GRAD, wasmMaxPoolGradApplies } from './max-pool-grad-wasm.js';

/**
 * The MaxPool gradient, with its inputs shifted to be positive before they reach the backend's
 * `MaxPoolGrad` kernel.
 *
 * tfjs-backend-wasm 4.22's `MaxPoolGrad` is wrong for a pooling window whose values are all
 * negative: it sends the gradient to the wrong element (measured: a 4×4 input of negatives pooled
 * 2×2 got its whole gradient on element 0; the cpu backend and a hand computation put one on each
 * window's maximum). LeNet-5 pools convolution outputs before its ReLU, so every LeNet-5 trained on
 * wasm got wrong convolution gradients. Adding the same constant to the input and the pooled output
 * moves no maximum, so `x − min(x) + 1` (all ≥ 1) gives the same gradient the kernel computes for
 * positive inputs, which is right on every backend; the cost is one reduction and two additions.
 * The shift rounds values to float32 at the input's range, so elements closer than that may swap
 * which one is the maximum (a tie either way is a valid subgradient).
 *
 * On wasm the gradient runs {@link WASM_MAX_POOL_GRAD} instead (max-pool-grad-wasm.ts): right for
 * negative windows without the shift, and faster than the backend's kernel (5.2 against 14.0 ms on
 * LeNet-5's largest pool).
 */
export const maxPoolGrad: tf.GradConfig = {
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
    return {
      x: () =>
        tf.tidy(() => {
          if (wasmMaxPoolGradApplies(x))
            return tf.engine().runKernel(WASM_MAX_POOL_GRAD, { dy: dy as tf.Tensor4D, input: x }, attrs) as tf.Tensor;
          const shift = tf.sub(1, tf.min(x));
          const inputs = { dy: dy as tf.Tensor4D, input: tf.add(x, shift), output: tf.add(y, shift) };
          return tf.engine().runKernel('MaxPoolGrad', inputs, attrs) as tf.Tensor;
        }),
    };
  },
};
