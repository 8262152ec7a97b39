import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError, Rng } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { type BackendChoice, useBackend } from './index.js';

/** A seeded matrix product and a small conv layer, computed on the active backend. */
async function compute(): Promise<{ mm: Float32Array; conv: Float32Array }> {
  const rng = new Rng(7);
  const a = tf.tensor2d(
    Float32Array.from({ length: 48 * 40 }, () => rng.normal()),
    [48, 40],
  );
  const b = tf.tensor2d(
    Float32Array.from({ length: 40 * 24 }, () => rng.normal()),
    [40, 24],
  );
  const x = tf.tensor4d(
    Float32Array.from({ length: 4 * 8 * 8 * 3 }, () => rng.normal()),
    [4, 8, 8, 3],
  );
  const w = tf.tensor4d(
    Float32Array.from({ length: 3 * 3 * 3 * 8 }, () => rng.normal()),
    [3, 3, 3, 8],
  );
  const mm = tf.matMul(a, b);
  const conv = tf.relu(tf.conv2d(x, w, 1, 'same'));
  const out = { mm: (await mm.data()) as Float32Array, conv: (await conv.data()) as Float32Array };
  tf.dispose([a, b, x, w, mm, conv]);
  return out;
}

/** Max |a - b| relative to max |b|: float32 sums of 40 (or 27) products agree to ~1e-6 of scale. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? 0)));
    den = Math.max(den, Math.abs(b[i] ?? 0));
  }
  return num / den;
}

describe('useBackend', () => {
  let reference: { mm: Float32Array; conv: Float32Array };

  it('cpu initialises and is the reference', async () => {
    const info = await useBackend('cpu');
    expect(info).toEqual({ backend: 'cpu', reason: 'requested cpu' });
    expect(tf.getBackend()).toBe('cpu');
    reference = await compute();
    // 2x2 check against hand-computed values, so the reference itself is anchored.
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
    m.dispose();
  });

  it('wasm with 2 threads (threaded binary in Node) initialises and matches cpu', async () => {
    const info = await useBackend('wasm', { threads: 2 });
    expect(info.backend).toBe('wasm');
    expect(info.threads).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    const got = await compute();
    expect(relDiff(got.mm, reference.mm)).toBeLessThan(1e-5);
    expect(relDiff(got.conv, reference.conv)).toBeLessThan(1e-5);
  });

  it('reports a fixed pool when wasm was already initialised with another thread count', async () => {
    const info = await useBackend('wasm', { threads: 1 });
    expect(info.threads).toBe(2);
    expect(info.reason).toContain('already initialised with 2 thread(s)');
  });

  it('rejects an unknown name with INVALID_ARGUMENT', async () => {
    const err = await useBackend('tpu' as BackendChoice).catch((e: unknown) => e);
    expect(isTnzipError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('allowed: auto, webgpu, wasm, cpu');
  });

  it.each([0, 5, 1.5])('rejects threads = %s', async (threads) => {
    const err = await useBackend('wasm', { threads }).catch((e: unknown) => e);
    expect(isTnzipError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('threads: expected an integer in [1, 4]');
  });

  it('throws BACKEND_UNAVAILABLE naming webgpu and the reason when no adapter matches', async () => {
    const before = tf.getBackend();
    const err = await useBackend('webgpu', {
      webgpu: { dawnFlags: ['adapter=no-such-adapter-tnzip'] },
    }).catch((e: unknown) => e);
    expect(isTnzipError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/^backend 'webgpu' is unavailable: .*requestAdapter/);
    expect(tf.getBackend()).toBe(before);
  });
});
