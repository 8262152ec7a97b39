import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { frobeniusNorm, frobeniusNorm64, relativeError, relativeError64 } from './norms.js';

describe('frobeniusNorm64 / relativeError64', () => {
  it('computes sqrt(Σ x²) without overflow or underflow', () => {
    expect(frobeniusNorm64({ data: Float64Array.from([3, 4, 0, 12]) })).toBeCloseTo(13, 14);
    expect(frobeniusNorm64({ data: Float64Array.from([3e200, 4e200]) })).toBeCloseTo(5e200, -186);
    expect(frobeniusNorm64({ data: Float64Array.from([3e-200, 4e-200]) }) / 5e-200).toBeCloseTo(1, 14);
    expect(frobeniusNorm64({ data: new Float64Array(3) })).toBe(0);
  });

  it('relative error is ‖x − y‖/‖x‖ and rejects shape mismatch', () => {
    const x = { shape: [2, 2], data: Float64Array.from([3, 0, 0, 4]) };
    const y = { shape: [2, 2], data: Float64Array.from([3, 0, 0, 3]) };
    expect(relativeError64(x, y)).toBeCloseTo(1 / 5, 15);
    expect(() => relativeError64(x, { shape: [4], data: y.data })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
});

describeBackends('frobeniusNorm / relativeError', () => {
  it('agree with the definitions', async () => {
    await expectNoLeakAsync(async () => {
      const x = tf.tensor([
        [3, 0],
        [0, 4],
      ]);
      const y = tf.tensor([
        [3, 0],
        [0, 3],
      ]);
      const n = frobeniusNorm(x);
      const e = relativeError(x, y);
      expect(n.rank).toBe(0);
      expect((await n.data())[0]).toBeCloseTo(5, 5);
      expect((await e.data())[0]).toBeCloseTo(0.2, 6);
      return [x, y, n, e];
    });
  });

  it('reject a shape mismatch and non-float tensors', () => {
    expectNoLeak(() => {
      const x = tf.zeros([2, 2]);
      const y = tf.zeros([4]);
      const i = tf.zeros([2, 2], 'int32');
      expect(() => relativeError(x, y)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => frobeniusNorm(i)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      return [x, y, i];
    });
  });
});
