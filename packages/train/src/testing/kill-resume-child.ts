/**
 * Child process of the kill-and-resume test (run with tsx): trains a small MLP on 320 MNIST images
 * for 3 epochs with a checkpoint every 4 steps, then saves the final weights. Arguments:
 * `<backend> <outDir> <resume 0|1> <pauseAtGlobalStep or 0> [workers, default 1]`. With a pause step it prints
 * `PAUSED <globalStep>` and sleeps at that step so the parent can SIGKILL it mid-epoch.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mnist, selectExamples } from '@tnzip/data';
import { Dropout, Flatten, Linear, ReLU, Sequential } from '@tnzip/layers';
import { train } from '../train.js';

const [backend = 'cpu', outDir = '', resume = '0', pauseAt = '0', workers = '1'] = process.argv.slice(2);
await tf.setBackend(backend);
await tf.ready();
const ds = mnist();
const trainSplit = selectExamples(
  ds.train,
  Array.from({ length: 320 }, (_, i) => i),
);
const testSplit = selectExamples(
  ds.test,
  Array.from({ length: 200 }, (_, i) => i),
);
const model = new Sequential('mlp', [
  new Flatten('flatten'),
  new Linear('fc1', { inFeatures: 784, outFeatures: 32, seed: 1 }),
  new ReLU('relu1'),
  new Dropout('drop', { rate: 0.1, seed: 5 }),
  new Linear('fc2', { inFeatures: 32, outFeatures: 10, seed: 2 }),
]);
const pause = Number(pauseAt);
const result = await train(
  model,
  { train: trainSplit, test: testSplit },
  {
    epochs: 3,
    batchSize: 32,
    lr: 0.01,
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    schedule: { kind: 'cosine' },
    warmupSteps: 3,
    labelSmoothing: 0.1,
    seed: 11,
    normalize: ds.normalization,
    outDir,
    checkpointEvery: 4,
    logEvery: 1,
    resume: resume === '1',
    workers: Number(workers),
    onProgress: (e) => {
      if (e.phase === 'train' && e.globalStep === pause) {
        process.stdout.write(`PAUSED ${e.globalStep}\n`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      }
    },
  },
);
const weights: Record<string, number[]> = {};
for (const [p, v] of model.namedParameters())
  weights[p] = Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer));
await fs.writeFile(
  path.join(outDir, 'final.json'),
  JSON.stringify({ final: result.final, resumedFrom: result.resumedFrom, weights }),
);
process.stdout.write('DONE\n');
