// Release rehearsal: what a new user tries first. Run with plain `node` in a directory where only
// @tnzip/layers and @tensorflow/tfjs-backend-cpu were installed: builds a Tucker-2 convolution,
// takes one SGD step on a fixed batch and checks that the loss went down (gradients registered).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Tucker2Conv2d } from '@tnzip/layers';

await tf.setBackend('cpu');
const layer = new Tucker2Conv2d('t', {
  inChannels: 4,
  outChannels: 6,
  kernelSize: [3, 3],
  rankS: 2,
  rankT: 3,
  seed: 1,
});
const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 1);
const loss = () => tf.mean(tf.square(layer.apply(x, { training: true })));
const before = tf.tidy(() => loss().dataSync()[0]);
const vars = layer.namedParameters().map(([, v]) => v);
tf.train.sgd(0.05).minimize(loss, false, vars);
const after = tf.tidy(() => loss().dataSync()[0]);
if (!(after < before)) {
  console.error(`train-step: one SGD step on a Tucker2Conv2d did not lower the loss: ${before} -> ${after}`);
  process.exit(1);
}
console.log(
  `train-step: Tucker2Conv2d trained one step in plain Node, loss ${before.toFixed(4)} -> ${after.toFixed(4)}`,
);
