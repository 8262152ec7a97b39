import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { installWasmConvFilterGrad, useBackend } from './index.js';

type Pad = 'same' | 'valid' | number;
const CASES: {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: Pad;
}[] = [
  { name: '5x5 valid stride 1 (LeNet conv2)', x: [3, 12, 12, 4], f: [5, 5, 4, 6], stride: 1, pad: 'valid' },
  { name: '3x3 same stride 1', x: [2, 9, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { name: '3x3 same stride 2 (ResNet downsample)', x: [2, 8, 8, 4], f: [3, 3, 4, 8], stride: 2, pad: 'same' },
  { name: '3x3 valid stride 2, (H - k) odd', x: [2, 10, 10, 2], f: [3, 3, 2, 3], stride: 2, pad: 'valid' },
  { name: '2x4 explicit pad 1 stride 3', x: [1, 11, 13, 2], f: [2, 4, 2, 3], stride: 3, pad: 1 },
];

async function grads(c: (typeof CASES)[number]): Promise<{ dx: Float32Array; dw: Float32Array }> {
  const rng = new Rng(5);
  const r = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      shape,
    );
  const x = r(c.x) as tf.Tensor4D;
  const w = r(c.f) as tf.Tensor4D;
  const outShape = tf.tidy(
    () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.stride, c.pad).shape,
  );
  const probe = r(outShape);
  // L = Σ probe ∘ conv2d(x, w): dL/dx and dL/dw exercise both backprop kernels.
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(probe, tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
  )([x, w]);
  const out = {
    dx: (await (dx as tf.Tensor).data()) as Float32Array,
    dw: (await (dw as tf.Tensor).data()) as Float32Array,
  };
  tf.dispose([x, w, probe, dx as tf.Tensor, dw as tf.Tensor]);
  return out;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? 0)));
    den = Math.max(den, Math.abs(b[i] ?? 0));
  }
  return num / den;
}

describe('conv2d filter gradient on wasm (tfjs-backend-wasm has no Conv2DBackpropFilter)', () => {
  it('without it, tfjs fails on wasm for want of the kernel', async () => {
    await useBackend('wasm', { threads: 1 });
    await expect(grads(CASES[0] as (typeof CASES)[number])).rejects.toThrow(/Conv2DBackpropFilter/);
  });

  it.each(CASES)('$name: matches cpu', async (c) => {
    installWasmConvFilterGrad();
    await useBackend('cpu');
    const ref = await grads(c);
    await useBackend('wasm', { threads: 1 });
    const before = tf.memory().numTensors;
    const got = await grads(c);
    expect(tf.memory().numTensors).toBe(before);
    // Sums of at most ~700 float32 products in a different order: 1e-5 of scale is float32 rounding.
    expect(relDiff(got.dw, ref.dw)).toBeLessThan(1e-5);
    expect(relDiff(got.dx, ref.dx)).toBeLessThan(1e-5);
  });
});
