import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TnzipError } from './errors.js';
import { Rng } from './random.js';
import { fold, fold64, unfold, unfold64 } from './unfold.js';

const MAX_DIM: Record<number, number> = { 1: 8, 2: 8, 3: 5, 4: 4, 5: 3, 6: 3 };
/** Shapes of order 1–6 with small dims, a mode of it and a data seed. */
const shapeModeSeed = fc
  .integer({ min: 1, max: 6 })
  .chain((order) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: MAX_DIM[order] as number }), { minLength: order, maxLength: order }),
      fc.integer({ min: 0, max: order - 1 }),
      fc.integer({ min: 0, max: 1000 }),
    ),
  );

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) s[k] = (s[k + 1] as number) * (shape[k + 1] as number);
  return s;
}

/** Naive unfolding straight from the definition: column = C-order index over the other modes. */
function naiveUnfold(data: Float64Array, shape: readonly number[], mode: number): Float64Array {
  const size = data.length;
  const rows = shape[mode] as number;
  const cols = size / rows;
  const others = shape.filter((_, k) => k !== mode);
  const oStrides = strides(others);
  const st = strides(shape);
  const out = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    let rem = flat;
    const idx = st.map((s) => {
      const i = Math.floor(rem / s);
      rem -= i * s;
      return i;
    });
    let col = 0;
    let o = 0;
    idx.forEach((i, k) => {
      if (k !== mode) col += i * (oStrides[o++] as number);
    });
    out[(idx[mode] as number) * cols + col] = data[flat] as number;
  }
  return out;
}

describe('unfold64 / fold64', () => {
  it('matches the definition and fold64 inverts it (property)', () => {
    fc.assert(
      fc.property(shapeModeSeed, ([shape, mode, seed]) => {
        const x = { shape, data: new Rng(seed).normals(shape.reduce((a, b) => a * b, 1)) };
        const m = unfold64(x, mode);
        expect(m.rows).toBe(shape[mode]);
        expect(Array.from(m.data)).toEqual(Array.from(naiveUnfold(x.data, shape, mode)));
        const back = fold64(m, mode, shape);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data)).toEqual(Array.from(x.data));
      }),
      { seed: 20240601, numRuns: 150 },
    );
  });

  it('rejects a bad mode and a mismatched fold shape', () => {
    const x = { shape: [2, 3], data: new Float64Array(6) };
    for (const mode of [-1, 2, 0.5]) {
      expect(() => unfold64(x, mode)).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    }
    expect(() => fold64({ rows: 3, cols: 2, data: new Float64Array(6) }, 0, [2, 3])).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => fold64({ rows: 2, cols: 3, data: new Float64Array(6) }, 0, [2, 0])).toThrow(TnzipError);
  });
});

describeBackends('unfold / fold', () => {
  it('agree with the float64 versions and round-trip (property)', async () => {
    await fc.assert(
      fc.asyncProperty(shapeModeSeed, async ([shape, mode, seed]) => {
        const data = Float32Array.from(new Rng(seed).normals(shape.reduce((a, b) => a * b, 1)));
        await expectNoLeakAsync(async () => {
          const x = tf.tensor(data, shape);
          const m = unfold(x, mode);
          expect(m.shape).toEqual([shape[mode], data.length / (shape[mode] as number)]);
          expect(Array.from(await m.data())).toEqual(Array.from(naiveUnfold(Float64Array.from(data), shape, mode)));
          const back = fold(m, mode, shape);
          expect(back.shape).toEqual(shape);
          expect(Array.from(await back.data())).toEqual(Array.from(data));
          return [x, m, back];
        });
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('rejects a bad mode, a wrong fold shape, a non-float32 or disposed tensor', () => {
    expectNoLeak(() => {
      const x = tf.zeros([2, 3, 4]);
      expect(() => unfold(x, 3)).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      expect(() => unfold(x, -1)).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      const m = tf.zeros([3, 8]) as tf.Tensor2D;
      expect(() => fold(m, 0, [2, 3, 4])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => fold(m, 5, [2, 3, 4])).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      const xi = tf.zeros([2, 3], 'int32');
      expect(() => unfold(xi, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      const d = tf.zeros([2, 2]);
      d.dispose();
      expect(() => unfold(d, 0)).toThrow(TnzipError);
      return [x, m, xi];
    });
  });
});
