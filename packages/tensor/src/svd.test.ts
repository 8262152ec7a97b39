import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { svd } from './index.js';

describeBackends('svd smoke', () => {
  it('reconstructs', () => {
    expectNoLeak(() => {
      const a = tf.tensor2d([[3, 1], [1, 3], [0, 2]]);
      const r = svd(a);
      const rec = tf.tidy(() => tf.matMul(tf.mul(r.u, r.s), r.v, false, true));
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(rec, a))));
      expect(err.arraySync()).toBeLessThan(1e-5);
      return [a, r, rec, err];
    });
  });
});
