import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError, type TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { TINY_DATA, TINY_OPTIONS, tinyModel, tinySplit } from './testing/tiny-run.js';
import { train } from './train.js';

async function rejection(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isTnzipError(e), String(e)).toBe(true);
  return e as TnzipError;
}

describeBackends('evaluate on hostile models and splits', () => {
  it('NaN or Inf weights never score: NON_FINITE naming the split and the example, no tensor left', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const m = tinyModel();
      const w = m.namedParameters().find(([p]) => p === 'fc2.bias')?.[1] as tf.Variable;
      w.assign(tf.tensor1d([bad, 0, 0, 0]));
      await expectNoLeakAsync(async () => {
        const e = await rejection(evaluate(m, TINY_DATA.test, { name: 'test', batchSize: 5 }));
        expect(e.code).toBe('NON_FINITE');
        expect(e.message).toBe(
          "evaluate: weight 'fc2.bias' holds NaN/Inf, so the model's output on test cannot be scored",
        );
      });
      m.dispose();
    }
    // a NaN that only the 2nd batch meets is named by its example index
    const m = tinyModel();
    const images = Float32Array.from(TINY_DATA.test.images);
    images[16 * 7 + 3] = Number.NaN;
    const e = await rejection(evaluate(m, { ...TINY_DATA.test, images }, { batchSize: 5 }));
    expect(e.message).toBe('evaluate: input example 7 of split holds NaN/Inf');
    m.dispose();
  });

  it('an empty split is refused (INVALID_ARGUMENT naming it), by evaluate and by train before any training', async () => {
    const m = tinyModel();
    const empty = tinySplit(0, 3);
    const e = await rejection(evaluate(m, empty, { name: 'test' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('evaluate: test has 0 examples, it needs at least 1');
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-empty-'));
    const outDir = path.join(root, 'run');
    for (const k of ['test', 'val'] as const) {
      let steps = 0;
      const t = await rejection(
        train(m, { ...TINY_DATA, [k]: empty }, { ...TINY_OPTIONS, outDir, onProgress: () => steps++ }),
      );
      expect(t.code).toBe('INVALID_ARGUMENT');
      expect(t.message).toMatch(new RegExp(`^data\\.${k} has 0 examples`));
      expect(steps).toBe(0);
      await expect(fs.access(outDir)).rejects.toThrow(); // nothing written
    }
    await fs.rm(root, { recursive: true, force: true });
    m.dispose();
  });
});
