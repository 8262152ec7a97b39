import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { expect } from 'vitest';
import type { Module } from '../module.js';

/** A seeded uniform(-1, 1) tensor. */
export function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = 2 * rng.uniform() - 1;
  return tf.tensor(d, shape);
}

/** ‖a − b‖ / ‖b‖ (float64 on the host; read with `await data()`, so on every backend). */
export async function relError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += ((x[i] as number) - (y[i] as number)) ** 2;
    den += (y[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/**
 * Finite-difference probes per parameter for {@link checkGradients}: 3, but 1 on webgpu, where
 * SwiftShader (CPU-emulated Vulkan in CI) spends ~0.3–1 s on every forward pass of a factorized
 * layer's few dozen tiny kernels; every parameter is still probed.
 */
export function probes(backend: string): number {
  return backend === 'webgpu' ? 1 : 3;
}

/** Output of a module's forward pass (eval mode). */
export function run(m: Module, x: tf.Tensor, training = false): tf.Tensor {
  return m.apply(x, { training });
}

/**
 * Checks d(loss)/d(param) of every parameter of `m` against central finite differences at a few
 * seeded coordinates, with loss = Σ y·c for a fixed random c. float32 forward passes: step 1e-2
 * and a relative tolerance of 2e-2 on the larger of the two magnitudes (f32 round-off in
 * (f(x+h) − f(x−h))/2h is ~1e-7·|f|/h).
 */
export async function checkGradients(m: Module, x: tf.Tensor, probes = 3): Promise<void> {
  const yShape = tf.tidy(() => m.apply(x).shape);
  const c = randomTensor(yShape, 99);
  const loss = (): tf.Scalar => tf.sum(tf.mul(m.apply(x, { training: true }), c));
  const params = m.namedParameters();
  const { grads } = tf.variableGrads(
    loss,
    params.map(([, v]) => v),
  );
  const rng = new Rng(7);
  for (const [path, v] of params) {
    const g = grads[v.name] as tf.Tensor;
    expect(g, path).toBeDefined();
    const gd = await g.data();
    const base = (await v.data()).slice();
    for (let p = 0; p < Math.min(probes, base.length); p++) {
      const i = rng.int(base.length);
      const h = 1e-2;
      const f = async (delta: number): Promise<number> => {
        const d = Float32Array.from(base);
        d[i] = (d[i] as number) + delta;
        tf.tidy(() => v.assign(tf.tensor(d, v.shape)));
        const l = tf.tidy(loss);
        const out = (await l.data())[0] as number;
        l.dispose();
        return out;
      };
      const fd = ((await f(h)) - (await f(-h))) / (2 * h);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      const an = gd[i] as number;
      expect(Math.abs(fd - an), `${path}[${i}] fd=${fd} analytic=${an}`).toBeLessThanOrEqual(
        2e-2 * Math.max(1, Math.abs(fd), Math.abs(an)),
      );
    }
  }
  tf.dispose(grads);
  c.dispose();
}
