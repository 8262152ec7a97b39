import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseWebgpu, useBackend, webgpuAvailability } from './index.js';

// Runs only when the webgpu group is selected (TNZIP_BACKENDS includes webgpu, or TNZIP_WEBGPU=1),
// with a Vulkan driver present: scripts/ci-webgpu.sh installs SwiftShader and sets VK_ICD_FILENAMES.

async function convNet(): Promise<Float32Array> {
  const rng = new Rng(11);
  const r = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      shape,
    );
  const x = r([8, 16, 16, 3]);
  const w1 = r([3, 3, 3, 16]);
  const w2 = r([3, 3, 16, 16]);
  const fc = r([16, 10]);
  const y = tf.tidy(() => {
    const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
    const h2 = tf.relu(tf.add(tf.conv2d(h1, w2 as tf.Tensor4D, 1, 'same'), h1));
    return tf.matMul(tf.mean(h2, [1, 2]), fc as tf.Tensor2D);
  });
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, w1, w2, fc, y]);
  return out;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? 0)));
    den = Math.max(den, Math.abs(b[i] ?? 0));
  }
  return num / den;
}

describe('webgpu (Dawn in Node)', () => {
  afterAll(async () => {
    await releaseWebgpu();
  });

  it('finds an adapter', async () => {
    const a = await webgpuAvailability();
    expect(a).toMatchObject({ available: true });
  });

  it('auto picks webgpu when an adapter exists', async () => {
    const info = await useBackend('auto');
    expect(info.backend).toBe('webgpu');
    expect(info.reason).toMatch(/^auto: WebGPU adapter found/);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('matMul and a small residual conv net match cpu', async () => {
    await useBackend('cpu');
    const ref = await convNet();
    const m0 = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([
        [5, 6],
        [7, 8],
      ]),
    );
    await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const m = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(Array.from(await m.data())).toEqual([19, 22, 43, 50]);
    // Float32 throughout, but GPU kernels sum in a different order (and may use fused
    // multiply-add): agreement to ~1e-5 of the output scale, as tfjs' own webgpu tests allow.
    expect(relDiff(await convNet(), ref)).toBeLessThan(1e-4);
    tf.dispose([m, m0]);
  });

  it('reads back asynchronously; dataSync() is unsupported in Node (no OffscreenCanvas)', async () => {
    await useBackend('webgpu');
    const t = tf.tensor1d([1, 2, 3]);
    const y = tf.mul(t, t);
    const z = tf.tidy(() => tf.matMul(tf.reshape(t, [3, 1]), tf.reshape(t, [1, 3])));
    expect(Array.from(await y.data())).toEqual([1, 4, 9]);
    // Once read asynchronously the values are cached on the CPU side; an unread GPU result is not.
    expect(Array.from(y.dataSync())).toEqual([1, 4, 9]);
    expect(() => z.dataSync()).toThrow(/OffscreenCanvas/);
    tf.dispose([t, y, z]);
  });

  it('releases an active webgpu where no cpu backend is registered (a bundle that dropped it)', async () => {
    await useBackend('webgpu');
    const cpu = tf.findBackendFactory('cpu');
    if (cpu === null) throw new Error('this test needs the cpu backend registered first');
    tf.removeBackend('cpu');
    try {
      await releaseWebgpu();
      expect(tf.findBackendFactory('webgpu')).toBeNull();
    } finally {
      tf.registerBackend('cpu', cpu, 1);
    }
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
