import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  type Cost,
  Flatten,
  type ForwardContext,
  Linear,
  MaxPool,
  Module,
  type ModuleConfig,
  ReLU,
  Sequential,
  type Shape,
} from '@tnzip/layers';
import { Rng, TnzipError } from '@tnzip/tensor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ParallelPredictor, parallelPredictor } from './parallel-predictor.js';
import { useBackend } from './use-backend.js';

// Node + wasm only: the workers run 1-thread wasm, and the reference is the same model applied in
// this thread on 1-thread wasm. Worker start-up (tsx compiling the sources in each thread) is the
// slow part, so each predictor is shared by the specs that need one.

const INPUT: Shape = [6, 6, 3];

function smallConvNet(): Sequential {
  return new Sequential('net', [
    new Conv2d('c1', { inChannels: 3, outChannels: 4, kernelSize: 3, padding: 'same', seed: 1 }),
    new ReLU('r1'),
    new MaxPool('p1', { kernelSize: 2 }),
    new Flatten('f'),
    new Linear('fc', { inFeatures: 36, outFeatures: 5, seed: 2 }),
  ]);
}

function input(n: number, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = n * INPUT.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    [n, ...INPUT],
  );
}

/** A layer kind that only this thread knows: the workers cannot rebuild it. */
class Unregistered extends Module {
  readonly kind = 'test-unregistered-kind';
  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.relu(x);
  }
  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: [...inputShape] };
  }
  config(): ModuleConfig {
    return { kind: this.kind, name: this.name };
  }
}

let model: Sequential;
const predictors = new Map<number, ParallelPredictor>();

beforeAll(async () => {
  await useBackend('wasm', { threads: 1 });
  model = smallConvNet();
  // Start all three at once: their start-up overlaps.
  const made = await Promise.all([1, 2, 3].map((w) => parallelPredictor(model, { workers: w })));
  for (const p of made) predictors.set(p.workers, p);
}, 60_000);

afterAll(async () => {
  await Promise.all([...predictors.values()].map((p) => p.dispose()));
  model?.dispose();
});

describe('parallelPredictor', () => {
  for (const workers of [1, 2, 3]) {
    it(`with ${workers} worker(s) equals model.apply in this thread for N = 1, 2, 7, 64`, async () => {
      const pp = predictors.get(workers) as ParallelPredictor;
      expect(pp.workers).toBe(workers);
      for (const n of [1, 2, 7, 64]) {
        const x = input(n, 10 + n);
        const want = model.apply(x, { training: false });
        const got = await pp.predict(x);
        expect(got.shape).toEqual([n, 5]);
        expect(got.dtype).toBe('float32');
        // Same XNNPACK kernels on the same rows: the rows do not interact, so the split must not
        // change a single bit.
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        expect(x.isDisposed).toBe(false);
        tf.dispose([x, want, got]);
      }
    });
  }

  it('leaks no tensor in this thread over repeated predicts', async () => {
    const pp = predictors.get(2) as ParallelPredictor;
    const x = input(9, 3);
    (await pp.predict(x)).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) (await pp.predict(x)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('runs concurrent predicts and keeps each result with its input', async () => {
    const pp = predictors.get(2) as ParallelPredictor;
    const xs = [input(5, 21), input(3, 22)];
    const got = await Promise.all(xs.map((x) => pp.predict(x)));
    for (const [i, x] of xs.entries()) {
      const want = model.apply(x, { training: false });
      expect(Array.from((got[i] as tf.Tensor).dataSync())).toEqual(Array.from(want.dataSync()));
      want.dispose();
    }
    tf.dispose([...xs, ...got]);
  });

  it('rejects a wrong input shape with a readable message and stays usable', async () => {
    const pp = predictors.get(2) as ParallelPredictor;
    const bad = tf.zeros([4, 5, 5, 3]);
    const err = await pp.predict(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TnzipError);
    expect((err as TnzipError).code).toBe('SHAPE_MISMATCH');
    expect((err as TnzipError).message).toMatch(/worker [12] failed on its chunk: .*fc.*shape \[36\].*got \[16\]/);
    const x = input(4, 5);
    const got = await pp.predict(x);
    expect(got.shape).toEqual([4, 5]);
    tf.dispose([bad, x, got]);
  });

  it('rejects a non-float32 or empty input before sending it', async () => {
    const pp = predictors.get(1) as ParallelPredictor;
    const ints = tf.zeros([2, ...INPUT], 'int32');
    const empty = tf.zeros([0, ...INPUT]);
    await expect(pp.predict(ints)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /float32.*int32/ });
    await expect(pp.predict(empty)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /N >= 1/ });
    tf.dispose([ints, empty]);
  });

  it('rejects workers outside the integers in [1, 8], naming the option and the range', async () => {
    for (const workers of [0, 9, 1.5]) {
      const err = await parallelPredictor(model, { workers }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TnzipError);
      expect((err as TnzipError).code).toBe('INVALID_ARGUMENT');
      expect((err as TnzipError).message).toContain(`workers: expected an integer in [1, 8], got ${workers}`);
    }
  });

  it('fails to start, naming the worker and the cause, when a worker cannot rebuild the model', async () => {
    const odd = new Sequential('odd', [new Unregistered('mystery')]);
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    try {
      const err = await parallelPredictor(odd, { workers: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TnzipError);
      expect((err as TnzipError).code).toBe('CORRUPT_FILE');
      expect((err as TnzipError).message).toMatch(
        /worker 1 could not load the model: .*unknown module kind 'test-unregistered-kind'/,
      );
      // The failed worker is not left running.
      expect(terminate).toHaveBeenCalledTimes(1);
    } finally {
      terminate.mockRestore();
      odd.dispose();
    }
  });

  it('dispose terminates every worker; predict then rejects', async () => {
    const pp = predictors.get(3) as ParallelPredictor;
    predictors.delete(3);
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    try {
      await pp.dispose();
      expect(terminate).toHaveBeenCalledTimes(3);
      // terminate() resolves with the exit code once the thread is gone; a second call on a dead
      // worker resolves with undefined.
      for (const r of terminate.mock.results) expect(typeof (await r.value)).toBe('number');
      await pp.dispose(); // idempotent
      const x = input(2, 1);
      await expect(pp.predict(x)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: /dispose/ });
      x.dispose();
    } finally {
      terminate.mockRestore();
    }
  });
});
