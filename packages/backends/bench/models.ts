import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '@tnzip/tensor';
import { installWasmConvFilterGrad } from '../src/index.js';

// Raw-op training on wasm needs a Conv2D filter gradient tfjs-backend-wasm lacks.
installWasmConvFilterGrad();

// The benchmark networks from raw tfjs ops, with the shapes of the reference models (the
// @tnzip/layers / @tnzip/zoo versions were not ready when this bench was written). Batch norm
// is folded into a per-channel affine (inference form), which is what runs after training.

function he(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = Math.sqrt(2 / fanIn);
  return tf.tensor(
    Float32Array.from({ length: n }, () => s * rng.normal()),
    shape,
  );
}

interface ConvBn {
  w: tf.Tensor4D;
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

function convBn(rng: Rng, cin: number, cout: number): ConvBn {
  return {
    w: he(rng, [3, 3, cin, cout], 9 * cin) as tf.Tensor4D,
    scale: tf.tensor1d(Float32Array.from({ length: cout }, () => 1 + 0.1 * rng.normal())),
    shift: tf.tensor1d(Float32Array.from({ length: cout }, () => 0.1 * rng.normal())),
  };
}

function applyConvBn(x: tf.Tensor4D, p: ConvBn, stride: number): tf.Tensor4D {
  return tf.add(tf.mul(tf.conv2d(x, p.w, stride, 'same'), p.scale), p.shift);
}

/** CIFAR ResNet-20 (He et al. 2016, option A shortcuts): 0.27 M parameters, 41 M MACs per image. */
export interface ResNet20 {
  forward(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** Builds ResNet-20 for `[N, 32, 32, 3]` inputs and 10 classes, seeded. */
export function resnet20(seed = 1): ResNet20 {
  const rng = new Rng(seed);
  const stem = convBn(rng, 3, 16);
  const blocks: { a: ConvBn; b: ConvBn; stride: number; cin: number; cout: number }[] = [];
  let cin = 16;
  for (const cout of [16, 32, 64]) {
    for (let i = 0; i < 3; i++) {
      const stride = i === 0 && cout !== 16 ? 2 : 1;
      blocks.push({ a: convBn(rng, cin, cout), b: convBn(rng, cout, cout), stride, cin, cout });
      cin = cout;
    }
  }
  const fcW = he(rng, [64, 10], 64) as tf.Tensor2D;
  const fcB = tf.zeros([10]) as tf.Tensor1D;
  const all: tf.Tensor[] = [stem.w, stem.scale, stem.shift, fcW, fcB];
  for (const b of blocks) all.push(b.a.w, b.a.scale, b.a.shift, b.b.w, b.b.scale, b.b.shift);
  return {
    forward: (x) =>
      tf.tidy(() => {
        let h = tf.relu(applyConvBn(x, stem, 1));
        for (const b of blocks) {
          const y = applyConvBn(tf.relu(applyConvBn(h, b.a, b.stride)), b.b, 1);
          let short: tf.Tensor4D = h;
          if (b.stride !== 1 || b.cin !== b.cout) {
            // Option A: subsample by 2 and zero-pad the new channels (no parameters).
            const [n, hh, ww] = h.shape;
            const sub = tf.stridedSlice(h, [0, 0, 0, 0], [n, hh, ww, b.cin], [1, 2, 2, 1]) as tf.Tensor4D;
            const p = (b.cout - b.cin) / 2;
            short = tf.pad(sub, [
              [0, 0],
              [0, 0],
              [0, 0],
              [p, p],
            ]);
          }
          h = tf.relu(tf.add(y, short)) as tf.Tensor4D;
        }
        return tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, fcW), fcB);
      }),
    dispose: () => tf.dispose(all),
  };
}

/** Caffe LeNet-5 (conv5x5 1→20, pool, conv5x5 20→50, pool, fc 800→500, relu, fc 500→10): 431 k parameters. */
export interface LeNet5 {
  /** One SGD step (lr 0.01) on softmax cross-entropy; returns the loss. */
  trainStep(x: tf.Tensor4D, labels: tf.Tensor2D): number | Promise<number>;
  dispose(): void;
}

/** Builds LeNet-5 for `[N, 28, 28, 1]` inputs, seeded. */
export function lenet5(seed = 1): LeNet5 {
  const rng = new Rng(seed);
  const v = (t: tf.Tensor) => tf.variable(t);
  const c1 = v(he(rng, [5, 5, 1, 20], 25));
  const b1 = v(tf.zeros([20]));
  const c2 = v(he(rng, [5, 5, 20, 50], 500));
  const b2 = v(tf.zeros([50]));
  const f1 = v(he(rng, [800, 500], 800));
  const g1 = v(tf.zeros([500]));
  const f2 = v(he(rng, [500, 10], 500));
  const g2 = v(tf.zeros([10]));
  const vars = [c1, b1, c2, b2, f1, g1, f2, g2];
  const optimizerStep = (x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        let h = tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, 'valid'), b1);
        h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
        h = tf.add(tf.conv2d(h as tf.Tensor4D, c2 as tf.Tensor4D, 1, 'valid'), b2);
        h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
        const flat = tf.reshape(h, [x.shape[0], 800]) as tf.Tensor2D;
        const z = tf.relu(tf.add(tf.matMul(flat, f1 as tf.Tensor2D), g1)) as tf.Tensor2D;
        const logits = tf.add(tf.matMul(z, f2 as tf.Tensor2D), g2);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, vars);
      for (const p of vars) {
        const g = grads[p.name];
        if (g !== undefined) p.assign(tf.sub(p, tf.mul(g, 0.01)));
      }
      return tf.keep(value);
    });
  return {
    trainStep: async (x, labels) => {
      const loss = optimizerStep(x, labels);
      const out = (await loss.data())[0] ?? Number.NaN;
      loss.dispose();
      return out;
    },
    dispose: () => tf.dispose(vars),
  };
}
