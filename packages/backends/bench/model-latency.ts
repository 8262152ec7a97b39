import * as tf from '@tensorflow/tfjs-core';
import { load } from '@tnzip/layers';
import { Rng } from '@tnzip/tensor';
import { type BackendChoice, useBackend } from '../src/index.js';
import { medianTime } from './median-time.js';

// Inference speed of saved model directories (e.g. apps/demo/public/models/*) on one backend:
// one JSON line per model and batch size, img/s (median after a warm-up; the output is read back).
// argv: backend seconds batch[,batch…] dir [dir…]

const [backend = 'wasm', secondsArg = '2', batchesArg = '1,64', ...dirs] = process.argv.slice(2);
await useBackend(backend as BackendChoice, { threads: 1 });
const rng = new Rng(5);
for (const dir of dirs) {
  const { model, inputShape } = await load(dir);
  const shape = inputShape ?? [28, 28, 1];
  for (const batch of batchesArg.split(',').map(Number)) {
    const size = batch * shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(
      Float32Array.from({ length: size }, () => rng.normal()),
      [batch, ...shape],
    );
    const { ms, reps } = await medianTime(async () => {
      const y = model.apply(x, { training: false });
      await y.data();
      y.dispose();
    }, 1000 * Number(secondsArg));
    x.dispose();
    console.log(JSON.stringify({ backend, model: dir, batch, reps, ms, imgPerSec: (1000 * batch) / ms }));
  }
  model.dispose();
}
process.exit(0);
