import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { fashionMnist } from './index.js';

// The Debian package `dataset-fashion-mnist` is a test dependency: CI installs it (.ci/run).

describe('fashionMnist', () => {
  it('loads the Debian package files: 60,000/10,000 images, 6,000/1,000 per class', () => {
    const ds = fashionMnist();
    expect(ds.name).toBe('fashion-mnist');
    expect(ds.inputShape).toEqual([28, 28, 1]);
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(10000);
    expect(ds.classNames?.[9]).toBe('Ankle boot');
    const h = new Array<number>(10).fill(0);
    for (const l of ds.train.labels) h[l] = (h[l] as number) + 1;
    expect(h).toEqual(new Array(10).fill(6000));
    let s = 0;
    for (const v of ds.train.images) s += v;
    expect(Math.abs(s / ds.train.images.length / 255 - 0.286)).toBeLessThan(5e-4);
  });

  it('throws NOT_FOUND naming the missing directory and the Debian package', () => {
    const dir = join(tmpdir(), 'tnzip-no-such-fashion-dir');
    let error: unknown;
    try {
      fashionMnist({ dir });
    } catch (e) {
      error = e;
    }
    expect(isTnzipError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toContain('dataset-fashion-mnist');
  });
});
