import * as tf from '@tensorflow/tfjs-core';
import { mnist, selectExamples } from '@tnzip/data';
import { Flatten, type Module, ReLU, Sequential, TTLinear } from '@tnzip/layers';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import type { TrainHook } from './hooks.js';
import { relativeDiff, weights } from './testing/weight-diff.js';
import { type TrainOptions, train } from './train.js';

const ds = mnist();
// 3 steps of 32 images.
const DATA = {
  train: selectExamples(
    ds.train,
    Array.from({ length: 96 }, (_, i) => i),
  ),
};
const OPTIONS: TrainOptions = {
  epochs: 1,
  batchSize: 32,
  lr: 0.01,
  seed: 5,
  normalize: ds.normalization,
  logEvery: 0,
};

/** 784 → TT-matrix 10 (rank 50) → ReLU: a chain dearer than the dense 784 × 10 matMul. */
function ttModel(): Sequential {
  return new Sequential('tt', [
    new Flatten('flatten'),
    new TTLinear('fc1', { inFeatures: 784, outFeatures: 10, rowDims: [2, 5], colDims: [28, 28], ranks: [50], seed: 7 }),
    new ReLU('relu'),
  ]);
}

const fc1 = (m: Module): TTLinear => new Map(m.namedModules()).get('fc1') as TTLinear;

/** A hook recording the execution fc1 runs at a training batch after each step. */
function probe(m: Module, seen: string[]): TrainHook {
  return { name: 'probe', afterStep: () => void seen.push(fc1(m).effectiveMode([784], 32)) };
}

describeBackends('train: execution of factorized layers', () => {
  it('trains a TT layer whose chain is dearer than dense on its rebuilt weight by default, and restores its mode', async () => {
    const m = ttModel();
    expect(fc1(m).cost([784]).macs).toBeGreaterThan(784 * 10);
    const seen: string[] = [];
    const before = tf.memory().numTensors;
    const r = await train(m, DATA, { ...OPTIONS, hooks: [probe(m, seen)] });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.globalStep).toBe(3);
    expect(seen).toEqual(['reconstructed', 'reconstructed', 'reconstructed']);
    expect(fc1(m).mode).toBe('factorized');
    m.dispose();
  });

  it("runs every layer as its mode says with execution 'as-set'", async () => {
    const m = ttModel();
    const seen: string[] = [];
    await train(m, DATA, { ...OPTIONS, execution: 'as-set', hooks: [probe(m, seen)] });
    expect(seen).toEqual(['factorized', 'factorized', 'factorized']);
    m.dispose();
  });

  it("gives the chain's weights up to float rounding, and restores the mode when training throws", async () => {
    const asSet = ttModel();
    await train(asSet, DATA, { ...OPTIONS, execution: 'as-set' });
    const cheapest = ttModel();
    await train(cheapest, DATA, OPTIONS);
    // Same function, different float32 summation order (chain vs rebuilt kernel): ~1e-6 per
    // step; a wrong gradient path moves the weights by > 1e-2 of their scale in 3 steps at lr 0.01.
    expect(relativeDiff(weights(asSet), weights(cheapest))).toBeLessThan(1e-4);
    const failing: TrainHook = {
      name: 'fail',
      afterStep: () => {
        throw new Error('hook failed');
      },
    };
    await expect(train(cheapest, DATA, { ...OPTIONS, hooks: [failing] })).rejects.toThrow(/hook failed/);
    expect(fc1(cheapest).mode).toBe('factorized');
    asSet.dispose();
    cheapest.dispose();
  });

  it('trains the cheapest execution with 2 workers as with 1, up to float32 summation order', async () => {
    const one = ttModel();
    await train(one, DATA, OPTIONS);
    const two = ttModel();
    const before = tf.memory().numTensors;
    await train(two, DATA, { ...OPTIONS, workers: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(relativeDiff(weights(one), weights(two))).toBeLessThan(1e-4);
    expect(fc1(two).mode).toBe('factorized');
    one.dispose();
    two.dispose();
  }, 120_000);

  it('rejects an unknown execution before any step', async () => {
    const m = ttModel();
    const seen: string[] = [];
    await expect(
      train(m, DATA, { ...OPTIONS, execution: 'fast' as TrainOptions['execution'], hooks: [probe(m, seen)] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/execution must be one of cheapest, as-set, got "fast"/),
    });
    expect(seen).toEqual([]);
    m.dispose();
  });
});
