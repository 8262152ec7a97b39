import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { crossEntropy, distillationLoss } from './losses.js';

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

const Z = [
  [1, 2, 3],
  [0.5, -1, 0],
];
const Y = [2, 0];

describeBackends('losses', () => {
  it('cross-entropy with label smoothing equals −Σ q·log softmax with q = (1−ε)·onehot + ε/K', () => {
    expectNoLeak(() => {
      const logits = tf.tensor2d(Z);
      const labels = tf.tensor1d(Y, 'int32');
      for (const eps of [0, 0.1]) {
        const expected =
          Z.map((z, n) => {
            const lp = logSoftmax(z);
            return -lp.reduce((s, v, k) => s + ((k === Y[n] ? 1 - eps : 0) + eps / 3) * v, 0);
          }).reduce((a, b) => a + b, 0) / 2;
        const l = crossEntropy(logits, labels, eps);
        expect(l.dataSync()[0]).toBeCloseTo(expected, 5);
        l.dispose();
      }
      expect(() => crossEntropy(logits, labels, 1)).toThrow(/labelSmoothing/);
      tf.dispose([logits, labels]);
    });
  });

  it('distillation loss is T²·mean KL(p_T(teacher) ‖ p_T(student)), zero for identical logits', () => {
    expectNoLeak(() => {
      const s = tf.tensor2d(Z);
      const tZ = [
        [3, 0, 1],
        [0, 0, 2],
      ];
      const t = tf.tensor2d(tZ);
      const T = 2;
      const expected =
        (T *
          T *
          Z.map((z, n) => {
            const ls = logSoftmax(z.map((v) => v / T));
            const lt = logSoftmax((tZ[n] as number[]).map((v) => v / T));
            return lt.reduce((acc, v, k) => acc + Math.exp(v) * (v - (ls[k] as number)), 0);
          }).reduce((a, b) => a + b, 0)) /
        2;
      const kd = distillationLoss(s, t, T);
      expect(kd.dataSync()[0]).toBeCloseTo(expected, 5);
      const same = distillationLoss(s, s, T);
      expect(Math.abs(same.dataSync()[0] as number)).toBeLessThan(1e-6);
      tf.dispose([s, t, kd, same]);
    });
  });
});
