import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DEBIAN_DIR, fashionMnist } from './index.js';

// CI installs the Debian package `dataset-fashion-mnist`; on a machine without it the default
// directory is absent and the loader must say which package to install instead.
const installed = existsSync(FASHION_MNIST_DEBIAN_DIR);

describe('fashionMnist', () => {
  it.runIf(installed)('loads the Debian package files: 60,000/10,000 images, 6,000/1,000 per class', () => {
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

  it.runIf(!installed)('names the Debian package when its default directory is absent', () => {
    try {
      fashionMnist();
      throw new Error('expected NOT_FOUND');
    } catch (e) {
      expect(isTnzipError(e, 'NOT_FOUND')).toBe(true);
      expect((e as Error).message).toContain('dataset-fashion-mnist');
    }
  });

  it('throws NOT_FOUND naming a given directory that does not exist', () => {
    const dir = join(tmpdir(), 'tnzip-no-such-fashion-dir');
    expect(() => fashionMnist({ dir })).toThrow(dir);
    try {
      fashionMnist(dir);
    } catch (e) {
      expect(isTnzipError(e, 'NOT_FOUND')).toBe(true);
    }
  });
});
