import * as tf from '@tensorflow/tfjs-core';
import { mnist, selectExamples } from '@tnzip/data';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { createModel } from '@tnzip/zoo';
import { describe, expect, it } from 'vitest';
import { relativeDiff, weights } from '../testing/weight-diff.js';
import { type TrainOptions, train } from '../train.js';
import { shards } from './data-parallel.js';
import { makeLayout } from './protocol.js';
import { TrainWorker } from './worker-pool.js';

const ds = mnist();
const subset = (n: number) =>
  selectExamples(
    ds.train,
    Array.from({ length: n }, (_, i) => i),
  );
// 3 steps of 30 rows + a last step of 6 (uneven shards 15/15 and 3/3, and the weighting by shard size).
const DATA = { train: subset(96) };

function options(name: string): TrainOptions {
  return {
    epochs: 1,
    batchSize: 30,
    lr: name === 'lenet5' ? 0.01 : 0.1,
    optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
    warmupSteps: 0,
    labelSmoothing: 0.1,
    seed: 3,
    normalize: ds.normalization,
    logEvery: 0,
  };
}

describe('shards', () => {
  it('splits rows contiguously, the first n % parts shards one row longer', () => {
    expect(shards(30, 2)).toEqual([
      { start: 0, rows: 15 },
      { start: 15, rows: 15 },
    ]);
    expect(shards(7, 3)).toEqual([
      { start: 0, rows: 3 },
      { start: 3, rows: 2 },
      { start: 5, rows: 2 },
    ]);
  });
});

describeBackends('data-parallel training', () => {
  for (const name of ['lenet300', 'lenet5']) {
    it(`${name}: 2 workers give the 1-worker weights up to float32 summation order, deterministically, leaking nothing`, async () => {
      const one = createModel(name, { seed: 1 });
      const r1 = await train(one, DATA, options(name));
      const two = createModel(name, { seed: 1 });
      const before = tf.memory().numTensors;
      const r2 = await train(two, DATA, { ...options(name), workers: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(r2.globalStep).toBe(4);
      // Per step the shard split changes only the order of float32 sums over the batch inside
      // dW = xᵀ·dy (relative error ~ batch·ε ≈ 30 · 6e-8 ≈ 2e-6 per element); four momentum steps
      // carry a few such errors into the weights, far below any change a real bug makes (a wrong
      // shard weighting or a missed shard moves weights by > 1e-2 of their scale here).
      const diff = relativeDiff(weights(one), weights(two));
      expect(diff).toBeLessThan(1e-4);
      expect(Math.abs(r2.final.trainLoss - r1.final.trainLoss) / r1.final.trainLoss).toBeLessThan(1e-4);
      expect(r2.final.trainAcc).toBe(r1.final.trainAcc);
      if (name === 'lenet300') {
        const again = createModel(name, { seed: 1 });
        await train(again, DATA, { ...options(name), workers: 2 });
        expect(relativeDiff(weights(two), weights(again))).toBe(0); // bit-identical for a given worker count
        again.dispose();
      }
      one.dispose();
      two.dispose();
    }, 120_000);
  }

  it('lenet300: 2 and 3 workers, and a last batch of 1 row that only one of them takes, give the 1-worker weights', async () => {
    // Steps of 30, 30 and 1 rows: shards 15/15 and 10/10/10 (the two reductions of train-worker.ts)
    // and a single shard (fewer shards than workers).
    const data = { train: subset(61) };
    const one = createModel('lenet300', { seed: 1 });
    await train(one, data, options('lenet300'));
    for (const workers of [2, 3]) {
      const many = createModel('lenet300', { seed: 1 });
      const r = await train(many, data, { ...options('lenet300'), workers });
      expect(r.globalStep).toBe(3);
      // As above: only float32 summation order inside the kernels differs.
      expect(relativeDiff(weights(one), weights(many))).toBeLessThan(1e-4);
      many.dispose();
    }
    one.dispose();
  }, 120_000);
});

describe('data-parallel workers', () => {
  const init = () => {
    const layout = makeLayout([], []);
    const weights = new SharedArrayBuffer(4);
    return {
      index: 1,
      backend: 'cpu' as const,
      model: { modelTopology: null, weightSpecs: [], weightData: new ArrayBuffer(0) },
      layout,
      labelSmoothing: 0,
      distill: null,
      weights,
      grads: [new SharedArrayBuffer(4)],
      reduced: new SharedArrayBuffer(4),
      barrier: new SharedArrayBuffer(4),
    };
  };

  it('a worker that exits during a step rejects the step with BACKEND_UNAVAILABLE naming it (no hang)', async () => {
    const { Worker } = await import('node:worker_threads');
    const script = `const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ kind: 'ready' });
      parentPort.on('message', () => process.exit(7));`;
    const w = TrainWorker.start(Worker, { script, eval: true }, init());
    await w.started;
    const step = w.request({
      shape: [1, 1],
      x: new Float32Array(1),
      y: new Int32Array(1),
      states: [],
      share: [1],
      barrier: 1,
    });
    await expect(step).rejects.toThrow(TnzipError);
    await expect(step).rejects.toThrow(/worker 1 exited \(code 7\)/);
    await expect(
      w.request({ shape: [1, 1], x: new Float32Array(1), y: new Int32Array(1), states: [], share: [1], barrier: 1 }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await w.terminate();
  });

  it('a worker that cannot load the model fails the start, naming it', async () => {
    const { Worker } = await import('node:worker_threads');
    const script = `const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ kind: 'init-error', error: { name: 'TnzipError', code: 'CORRUPT_FILE', message: 'bad topology' } });`;
    const w = TrainWorker.start(Worker, { script, eval: true }, init());
    await expect(w.started).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: expect.stringMatching(/worker 1 could not load the model: TnzipError: bad topology/),
    });
    await w.terminate();
  });

  it('rejects workers outside [1, 16] before any work', async () => {
    const m = createModel('lenet300', { seed: 1 });
    await expect(train(m, DATA, { ...options('lenet300'), workers: 0 })).rejects.toThrow(
      /workers must be an integer in \[1, 16\], got 0/,
    );
    await expect(train(m, DATA, { ...options('lenet300'), workers: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    m.dispose();
  });
});
