import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTnzipError } from '@tnzip/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetHeaders, encodeIdx, mnist, writeCifar10Fixture } from './index.js';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e), String(e)).toBe(true);
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a TnzipError');
}

function writeSplit(dir: string, prefix: string, n: number, h: number, w: number, gz = false): void {
  const z = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
  const ext = gz ? '.gz' : '';
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), z(encodeIdx([n, h, w], new Uint8Array(n * h * w))));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), z(encodeIdx([n], new Uint8Array(n))));
}

describe('datasetHeaders', () => {
  const root = mkdtempSync(join(tmpdir(), 'tnzip-headers-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives the shipped MNIST shapes and counts', () => {
    expect(datasetHeaders('mnist')).toEqual({ inputShape: [28, 28, 1], trainCount: 60000, testCount: 10000 });
  });

  it('refuses test images of another shape than the training images, before loading them', () => {
    const dir = join(root, 'odd');
    mkdirSync(dir, { recursive: true });
    writeSplit(dir, 'train', 5, 28, 28, true);
    writeSplit(dir, 't10k', 3, 32, 32);
    const e = errorOf(() => datasetHeaders('fashion-mnist', dir));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/t10k-images-idx3-ubyte: test images are \[32, 32\], the training images \[28, 28\]/);
    expect(errorOf(() => mnist(dir)).message).toMatch(/test images are \[32, 32\]/);
    writeSplit(dir, 't10k', 3, 28, 28);
    expect(datasetHeaders('mnist', dir)).toEqual({ inputShape: [28, 28, 1], trainCount: 5, testCount: 3 });
  });

  it('counts CIFAR-10 records from file sizes and names a file of a wrong size', () => {
    const dir = join(root, 'cifar');
    writeCifar10Fixture(dir, { trainPerBatch: 2, test: 3, seed: 1 });
    expect(datasetHeaders('cifar10', dir)).toEqual({ inputShape: [32, 32, 3], trainCount: 10, testCount: 3 });
    writeFileSync(join(dir, 'test_batch.bin'), new Uint8Array(3000));
    expect(errorOf(() => datasetHeaders('cifar10', dir)).message).toMatch(/test_batch\.bin: a CIFAR-10 batch must be/);
  });
});
