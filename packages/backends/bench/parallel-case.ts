import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
// Bench files are not published and @tnzip/zoo sits beside backends, not below it: import its source.
import { resnet } from '../../zoo/src/index.js';
import { parallelPredictor, useBackend } from '../src/index.js';
import { medianTime } from './median-time.js';

// ResNet-20 (the @tnzip/zoo Module, option-A shortcuts) inference at one batch size, in one
// process: 1-thread wasm `model.apply` in this thread, then `parallelPredictor` with `workers`
// threads on the same model and the same input. Prints one JSON line with both rates (img/s,
// medians) and their ratio. The in-process rate is measured first, while the workers do not
// exist yet, so the two never compete for the cores.
// argv: batch seconds workers

const [batchArg = '64', secondsArg = '4', workersArg = '2'] = process.argv.slice(2);
const batch = Number(batchArg);
const budgetMs = 1000 * Number(secondsArg);
const workers = Number(workersArg);

await useBackend('wasm', { threads: 1 });
const model = resnet({ depth: 20 });
const rng = new Rng(3);
const x = tf.tensor(
  Float32Array.from({ length: batch * 32 * 32 * 3 }, () => rng.normal()),
  [batch, 32, 32, 3],
);

const one = await medianTime(async () => {
  const y = model.apply(x, { training: false });
  await y.data();
  y.dispose();
}, budgetMs);
const pp = await parallelPredictor(model, { workers });
const par = await medianTime(async () => {
  const y = await pp.predict(x);
  y.dispose();
}, budgetMs);
// Both paths must compute the same thing for the comparison to mean anything.
const want = model.apply(x, { training: false });
const got = await pp.predict(x);
const maxAbsDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(want, got))).dataSync()[0] ?? Number.NaN);
tf.dispose([want, got, x]);
await pp.dispose();
model.dispose();

const rate = (ms: number): number => (1000 * batch) / ms;
console.log(
  JSON.stringify({
    batch,
    workers,
    inProcess: { imgPerSec: rate(one.ms), ms: one.ms, reps: one.reps },
    parallel: { imgPerSec: rate(par.ms), ms: par.ms, reps: par.reps },
    ratio: one.ms / par.ms,
    maxAbsDiff,
    loadavg1: loadavg()[0] ?? 0,
  }),
);
