import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { BatchNorm } from './layers/batch-norm.js';
import { Conv2d } from './layers/conv2d.js';
import { Dropout } from './layers/dropout.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool } from './layers/max-pool.js';
import { ReLU } from './layers/relu.js';
import { Sequential } from './layers/sequential.js';

/** A small conv net that touches every gradient path: strided conv, BN, pooling, dropout, linear. */
function smallNet(): Sequential {
  return new Sequential('net', [
    new Conv2d('conv1', { inChannels: 1, outChannels: 4, kernelSize: 3, padding: 'same', seed: 1 }),
    new BatchNorm('bn1', { numFeatures: 4 }),
    new ReLU('relu1'),
    new MaxPool('pool1', { kernelSize: 2 }),
    new Conv2d('conv2', { inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, seed: 2 }),
    new ReLU('relu2'),
    new Flatten('flatten'),
    new Dropout('drop', { rate: 0.1, seed: 3 }),
    new Linear('fc', { inFeatures: 2 * 2 * 6, outFeatures: 3, seed: 4 }),
  ]);
}

describeBackends('training', (backend) => {
  // SwiftShader needs ~0.3 s a step; on cpu the loss is below 0.2× its start after 10 steps.
  const steps = backend === 'webgpu' ? 30 : 200;
  it(`${steps} SGD steps leak no tensor and fit a separable toy problem`, async () => {
    const net = smallNet();
    const rng = new Rng(0);
    const n = 24;
    const xs = new Float32Array(n * 8 * 8);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const cls = i % 3;
      labels.push(cls);
      // class = which third of the image holds the bright bar
      for (let r = 0; r < 8; r++)
        for (let c = 0; c < 8; c++) xs[(i * 8 + r) * 8 + c] = 0.1 * rng.normal() + (Math.floor(c / 3) === cls ? 1 : 0);
    }
    const x = tf.tensor4d(xs, [n, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
    const opt = tf.train.sgd(0.1);
    const vars = net.namedParameters().map(([, v]) => v);
    const lossOf = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true })) as tf.Scalar;
    const l0 = tf.tidy(lossOf);
    const first = (await l0.data())[0] as number;
    l0.dispose();
    // warm-up step: the optimizer creates its slots once
    tf.dispose(opt.minimize(lossOf, true, vars) ?? []);
    const before = tf.memory().numTensors;
    let last = Number.NaN;
    for (let step = 0; step < steps; step++) {
      const l = opt.minimize(lossOf, true, vars);
      if (step === steps - 1 && l !== null) last = (await l.data())[0] as number;
      tf.dispose(l ?? []);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(last).toBeLessThan(first * 0.2);
    // manual SGD with variableGrads leaks nothing either
    const before2 = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) {
      const { value, grads } = tf.variableGrads(lossOf, vars);
      tf.tidy(() => {
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name] as tf.Tensor, 0.05)));
      });
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before2);
    opt.dispose();
    tf.dispose([x, y]);
    net.dispose();
  });
});
