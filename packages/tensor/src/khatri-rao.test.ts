import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Matrix64 } from './float64.js';
import { khatriRao, khatriRao64 } from './khatri-rao.js';
import { Rng } from './random.js';

const matsArb = fc.record({
  rowsList: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  R: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 10_000 }),
});

function makeMats(rowsList: number[], R: number, seed: number): Matrix64[] {
  const rng = new Rng(seed);
  return rowsList.map((rows) => ({ rows, cols: R, data: Float64Array.from(Float32Array.from(rng.normals(rows * R))) }));
}

/** Row (i_0, i_1, …) in C order (first matrix slowest), column r: Π_k mats[k][i_k, r]. */
function naiveKhatriRao(mats: Matrix64[], R: number): Float64Array {
  const rows = mats.reduce((a, m) => a * m.rows, 1);
  const out = new Float64Array(rows * R);
  for (let row = 0; row < rows; row++) {
    let rem = row;
    const idx = new Array<number>(mats.length);
    for (let k = mats.length - 1; k >= 0; k--) {
      const d = (mats[k] as Matrix64).rows;
      idx[k] = rem % d;
      rem = Math.floor(rem / d);
    }
    for (let r = 0; r < R; r++) {
      let p = 1;
      mats.forEach((m, k) => {
        p *= m.data[(idx[k] as number) * R + r] as number;
      });
      out[row * R + r] = p;
    }
  }
  return out;
}

describe('khatriRao64', () => {
  it('matches the column-wise Kronecker definition (property)', () => {
    fc.assert(
      fc.property(matsArb, ({ rowsList, R, seed }) => {
        const mats = makeMats(rowsList, R, seed);
        const k = khatriRao64(mats);
        expect([k.rows, k.cols]).toEqual([rowsList.reduce((a, b) => a * b, 1), R]);
        const ref = naiveKhatriRao(mats, R);
        ref.forEach((v, i) => {
          expect(Math.abs((k.data[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-14);
        });
      }),
      { seed: 31, numRuns: 100 },
    );
  });

  it('rejects an empty list and differing column counts', () => {
    expect(() => khatriRao64([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const a = { rows: 2, cols: 3, data: new Float64Array(6) };
    const b = { rows: 2, cols: 2, data: new Float64Array(4) };
    expect(() => khatriRao64([a, b])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});

describeBackends('khatriRao', () => {
  it('matches the definition (property)', async () => {
    await fc.assert(
      fc.asyncProperty(matsArb, async ({ rowsList, R, seed }) => {
        const mats = makeMats(rowsList, R, seed);
        const ref = naiveKhatriRao(mats, R);
        await expectNoLeakAsync(async () => {
          const ts = mats.map((m) => tf.tensor2d(Float32Array.from(m.data), [m.rows, R]));
          const k = khatriRao(ts);
          expect(k.shape).toEqual([ref.length / R, R]);
          // At most 3 float32 roundings of a product of 4 factors.
          const got = await k.data();
          ref.forEach((v, i) => {
            expect(Math.abs((got[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-6);
          });
          return [ts, k];
        });
      }),
      { seed: 32, numRuns: 30 },
    );
  });

  it('rejects an empty list, a non-matrix and differing column counts', () => {
    expectNoLeak(() => {
      const a = tf.zeros([2, 3]) as tf.Tensor2D;
      const b = tf.zeros([2, 2]) as tf.Tensor2D;
      const v = tf.zeros([3]) as unknown as tf.Tensor2D;
      expect(() => khatriRao([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => khatriRao([a, b])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => khatriRao([a, v])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      return [a, b, v];
    });
  });
});
