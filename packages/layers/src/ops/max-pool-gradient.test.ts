import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { expect, it } from 'vitest';
import './register-gradients.js';

interface Pool {
  readonly k: number;
  readonly s: number;
  readonly pad: 'valid' | 'same';
}

/** dx of Σ dy·maxPool(x) by hand: each window's first maximum gets the window's dy (NHWC, batch 1, 1 channel). */
function referenceGrad(x: number[], h: number, w: number, dy: number[], { k, s, pad }: Pool): number[] {
  const oh = pad === 'same' ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
  const ow = pad === 'same' ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
  const top = pad === 'same' ? Math.floor(Math.max((oh - 1) * s + k - h, 0) / 2) : 0;
  const left = pad === 'same' ? Math.floor(Math.max((ow - 1) * s + k - w, 0) / 2) : 0;
  const dx = new Array<number>(h * w).fill(0);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) {
      let best = -1;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const r = i * s - top + a;
          const c = j * s - left + b;
          if (r < 0 || c < 0 || r >= h || c >= w) continue;
          if (best < 0 || (x[r * w + c] as number) > (x[best] as number)) best = r * w + c;
        }
      dx[best] = (dx[best] as number) + (dy[i * ow + j] as number);
    }
  return dx;
}

async function poolGrad(x: number[], h: number, w: number, dy: number[], p: Pool): Promise<number[]> {
  const g = tf.tidy(() => {
    const t = tf.tensor4d(x, [1, h, w, 1]);
    const out = tf.maxPool(t, p.k, p.s, p.pad);
    const d = tf.tensor(dy, out.shape);
    return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, p.k, p.s, p.pad), d)))(t);
  });
  const data = Array.from(await g.data());
  g.dispose();
  return data;
}

describeBackends('maxPool gradient', () => {
  it('sends each window its gradient when every value is negative (tfjs-backend-wasm got this wrong)', async () => {
    const x = [-5, -1, -3, -4, -2, -6, -7, -8, -9, -10, -0.5, -12, -13, -14, -15, -16];
    expect(await poolGrad(x, 4, 4, [1, 1, 1, 1], { k: 2, s: 2, pad: 'valid' })).toEqual([
      0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0,
    ]);
  });

  it('matches the hand computation for negative and mixed inputs, overlapping windows and same padding', async () => {
    const rng = new Rng(3);
    const pools: Pool[] = [
      { k: 2, s: 2, pad: 'valid' },
      { k: 3, s: 2, pad: 'same' },
      { k: 3, s: 1, pad: 'same' },
      { k: 3, s: 2, pad: 'valid' },
    ];
    for (const offset of [-6, -2])
      for (const p of pools) {
        const x = Array.from({ length: 49 }, () => offset + 4 * rng.uniform());
        const oh = p.pad === 'same' ? Math.ceil(7 / p.s) : Math.floor((7 - p.k) / p.s) + 1;
        const dy = Array.from({ length: oh * oh }, () => rng.normal());
        const got = await poolGrad(x, 7, 7, dy, p);
        const want = referenceGrad(x, 7, 7, dy, p);
        // Sums of at most k² float32 terms of |dy| ≤ ~4: 1e-5 absolute covers the rounding.
        for (let i = 0; i < 49; i++) expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-5);
      }
  });

  it('sends each image and channel its own windows; on cpu and wasm the first maximum of a tie (N = 2, C = 3)', async () => {
    const rng = new Rng(5);
    const [n, h, w, c] = [2, 6, 6, 3];
    // WebGPU's MaxPoolGrad breaks ties its own way (also a valid subgradient): no ties there.
    const ties = tf.getBackend() !== 'webgpu';
    for (const p of [
      { k: 2, s: 2, pad: 'valid' },
      { k: 3, s: 2, pad: 'same' },
    ] satisfies Pool[]) {
      // Integers in [-3, 2] (many tied maxima, negative windows too), or reals in [-3, 3).
      const x = Array.from({ length: n * h * w * c }, () =>
        ties ? Math.floor(6 * rng.uniform()) - 3 : 6 * rng.uniform() - 3,
      );
      const o = p.pad === 'same' ? Math.ceil(h / p.s) : Math.floor((h - p.k) / p.s) + 1;
      const dy = Array.from({ length: n * o * o * c }, () => rng.normal());
      const got = tf.tidy(() => {
        const t = tf.tensor4d(x, [n, h, w, c]);
        const d = tf.tensor4d(dy, [n, o, o, c]);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, p.k, p.s, p.pad), d)))(t);
      });
      const data = await got.data();
      got.dispose();
      for (let b = 0; b < n; b++)
        for (let ch = 0; ch < c; ch++) {
          const plane = (v: number[], side: number) =>
            Array.from({ length: side * side }, (_, q) => v[(b * side * side + q) * c + ch] as number);
          const want = referenceGrad(plane(x, h), h, w, plane(dy, o), p);
          want.forEach((v, q) => {
            expect(Math.abs((data[(b * h * w + q) * c + ch] as number) - v)).toBeLessThan(1e-5);
          });
        }
    }
  });

  it('leaks no tensor', () => {
    expectNoLeak(() => {
      tf.tidy(() => {
        tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(tf.fill([1, 4, 4, 1], -1));
      });
    });
  });
});
