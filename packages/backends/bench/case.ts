import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { type BackendChoice, releaseWebgpu, useBackend } from '../src/index.js';
import { medianTime } from './median-time.js';
import { lenet5, resnet20 } from './models.js';

// One benchmark configuration in its own process (the wasm thread pool is fixed per process,
// and Dawn's instance keeps a process alive). Prints one JSON line: images per second.
// argv: backend threads task batch seconds   (task: resnet20 | lenet5-train)
const [backend = 'wasm', threadsArg = '1', task = 'resnet20', batchArg = '64', secondsArg = '4'] =
  process.argv.slice(2);
const batch = Number(batchArg);
const budgetMs = 1000 * Number(secondsArg);

const info = await useBackend(backend as BackendChoice, { threads: Number(threadsArg) });
const rng = new Rng(3);
const rand = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );

let step: () => Promise<void>;
let cleanup: () => void;
if (task === 'resnet20') {
  const net = resnet20();
  const x = rand([batch, 32, 32, 3]) as tf.Tensor4D;
  step = async () => {
    const y = net.forward(x);
    await y.data();
    y.dispose();
  };
  cleanup = () => {
    net.dispose();
    x.dispose();
  };
} else {
  const net = lenet5();
  const x = rand([batch, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 10),
      'int32',
    ),
    10,
  ) as tf.Tensor2D;
  step = async () => {
    await net.trainStep(x, labels);
  };
  cleanup = () => {
    net.dispose();
    tf.dispose([x, labels]);
  };
}

const { ms: median, reps } = await medianTime(step, budgetMs);
cleanup();
console.log(
  JSON.stringify({
    backend: info.backend,
    threads: info.threads,
    task,
    batch,
    reps,
    ms: median,
    imgPerSec: (1000 * batch) / median,
  }),
);
await releaseWebgpu();
