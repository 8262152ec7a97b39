import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import type { FactorizedModule } from '../factorized/factorized-module.js';
import { randomTensor } from '../factorized/helpers.test-util.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import type { Module } from '../module.js';
import { withCheapestExecution } from './training-execution.js';

/**
 * conv (Tucker-2, its chain far cheaper than the dense conv) → ReLU → flatten → TT linear 512 → 60
 * at the largest middle rank (its chain dearer than the dense matMul). Input [8, 8, 3].
 */
function net(): Module {
  const m = new Sequential('net', [
    new Conv2d('c', { inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same', seed: 1 }),
    new ReLU('r'),
    new Flatten('f'),
    new Linear('fc', { inFeatures: 512, outFeatures: 60, seed: 2 }),
  ]);
  return factorize(m, {
    c: { kind: 'tucker2', rankS: 2, rankT: 3 },
    fc: { kind: 'tt', rowDims: [6, 10], colDims: [16, 32], ranks: [96] },
  });
}

function layer(m: Module, path: string): FactorizedModule {
  return m.namedModules().find(([p]) => p === path)?.[1] as FactorizedModule;
}

/**
 * Every parameter's gradient of a loss over one training-mode forward pass, by path (read back
 * asynchronously: webgpu in Node has no synchronous read-back).
 */
async function gradients(m: Module, x: tf.Tensor): Promise<Map<string, Float32Array>> {
  const params = m.namedParameters();
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.square(m.apply(x, { training: true }))) as tf.Scalar,
    params.map(([, v]) => v),
  );
  try {
    const values = await Promise.all(params.map(([, v]) => (grads[v.name] as tf.Tensor).data()));
    return new Map(params.map(([p], i) => [p, values[i] as Float32Array]));
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

describeBackends('withCheapestExecution (training in the cheaper execution)', () => {
  it('runs a chain dearer than the dense layer on its rebuilt weight, with the same gradients, and restores the modes', async () => {
    const m = net();
    const x = randomTensor([4, 8, 8, 3], 3);
    const fc = layer(m, 'fc');
    const conv = layer(m, 'c');
    expect([conv.mode, fc.mode]).toEqual(['factorized', 'factorized']);
    const chained = await gradients(m, x);
    let inside: string[] = [];
    let rebuilt = new Map<string, Float32Array>();
    await expectNoLeakAsync(async () => {
      rebuilt = await withCheapestExecution(m, async () => {
        inside = [conv.effectiveMode([8, 8, 3]), fc.effectiveMode([512])];
        return gradients(m, x);
      });
    });
    expect(inside).toEqual(['factorized', 'reconstructed']);
    expect([conv.mode, fc.mode]).toEqual(['factorized', 'factorized']);
    // The same function: float32 gradients that differ only in summation order (relative to
    // each parameter's largest gradient entry; a different function would be off by O(1)).
    for (const [p, g] of chained) {
      const h = rebuilt.get(p) as Float32Array;
      const scale = Math.max(...g.map(Math.abs));
      const worst = Math.max(...g.map((v, i) => Math.abs(v - (h[i] as number))));
      expect(worst / scale, p).toBeLessThan(1e-4);
    }
    x.dispose();
    m.dispose();
  });

  it('restores the modes when the run throws, and leaves layers set to another mode alone', async () => {
    const m = net();
    layer(m, 'c').mode = 'reconstructed';
    const failed = withCheapestExecution(m, async () => {
      expect(layer(m, 'c').mode).toBe('reconstructed');
      expect(layer(m, 'fc').mode).toBe('auto');
      throw new Error('diverged');
    });
    await expect(failed).rejects.toThrow('diverged');
    expect([layer(m, 'c').mode, layer(m, 'fc').mode]).toEqual(['reconstructed', 'factorized']);
    m.dispose();
  });
});
