import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '@tnzip/layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { argmaxRows, predict } from './predict.js';
import { IMAGE_SIZE, normalizePixels } from './preprocess.js';

const publicDir = join(import.meta.dirname, '..', 'public');

describe('argmaxRows', () => {
  it('takes the first maximum of each row', () => {
    const v = Float32Array.from([0, 3, 3, 1, /* row 2 */ -1, -2, -0.5, -0.5]);
    expect(Array.from(argmaxRows(v, 2, 4))).toEqual([1, 2]);
  });
});

describeBackends('predict with the committed dense model', () => {
  it('classifies the first 10 samples as labelled, with probabilities summing to 1, leaking nothing', async () => {
    const { model } = await load(join(publicDir, 'models', 'dense'));
    try {
      const pixels = new Uint8Array(readFileSync(join(publicDir, 'samples', 'mnist-test-100.bin'))).slice(
        0,
        10 * IMAGE_SIZE,
      );
      const meta = JSON.parse(readFileSync(join(publicDir, 'samples', 'mnist-test-100.json'), 'utf8')) as {
        labels: number[];
      };
      await expectNoLeakAsync(async () => {
        const p = await predict(model, normalizePixels(pixels), 10);
        expect(Array.from(p.top1)).toEqual(meta.labels.slice(0, 10));
        for (let i = 0; i < 10; i++) {
          const row = p.probs.subarray(10 * i, 10 * i + 10).reduce((a, b) => a + b, 0);
          expect(Math.abs(row - 1)).toBeLessThan(1e-5); // float32 softmax of 10 terms
        }
      });
    } finally {
      model.dispose();
    }
  });

  it('rejects an input of the wrong length', async () => {
    const { model } = await load(join(publicDir, 'models', 'dense'));
    try {
      await expect(predict(model, new Float32Array(100), 1)).rejects.toThrow(/784/);
    } finally {
      model.dispose();
    }
  });
});
