import { Flatten, Linear, Sequential } from '@tnzip/layers';
import { isTnzipError, type TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { writeCheckpoint } from './checkpoint.js';
import { train } from './train.js';

async function rejection(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isTnzipError(e), String(e)).toBe(true);
  return e as TnzipError;
}

// Node's recursive mkdir spins forever on procfs; train and writeCheckpoint must fail at once.
describeBackends('output directories on procfs', () => {
  it('train() with outDir under /proc fails with IO_ERROR in well under a second', async () => {
    const model = new Sequential('m', [new Flatten('f'), new Linear('fc', { inFeatures: 4, outFeatures: 2, seed: 1 })]);
    const split = { images: new Uint8Array(8), labels: new Uint8Array(2), count: 2, shape: [2, 2, 1] };
    const t0 = performance.now();
    const e = await rejection(
      train(model, { train: split, test: split }, { epochs: 1, batchSize: 2, lr: 0.1, outDir: '/proc/forbidden' }),
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([e.code, e.message]).toEqual(['IO_ERROR', expect.stringMatching(/\/proc\/forbidden/)]);
    model.dispose();
  });

  it('writeCheckpoint under /proc fails with IO_ERROR at once', async () => {
    const t0 = performance.now();
    const e = await rejection(
      writeCheckpoint('/proc/forbidden/checkpoints', {} as Parameters<typeof writeCheckpoint>[1], new Map()),
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('IO_ERROR');
  });
});
