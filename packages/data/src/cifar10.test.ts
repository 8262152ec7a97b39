import { mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES, cifar10, decodeCifar10, encodeCifar10, writeCifar10Fixture } from './index.js';

function expectCode(fn: () => unknown, code: string, ...needles: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    for (const n of needles) expect((e as Error).message).toMatch(n);
    return;
  }
  throw new Error(`expected a TnzipError ${code}`);
}

describe('decodeCifar10', () => {
  it('reads a hand-made record: label byte, then R, G, B planes, into NHWC', () => {
    // R plane = 1, G plane = 2, B plane = 3 everywhere, except pixel (row 1, col 2) = (10, 20, 30).
    const rec = new Uint8Array(3073);
    rec[0] = 7;
    rec.fill(1, 1, 1025);
    rec.fill(2, 1025, 2049);
    rec.fill(3, 2049, 3073);
    const p = 1 * 32 + 2;
    rec[1 + p] = 10;
    rec[1 + 1024 + p] = 20;
    rec[1 + 2048 + p] = 30;
    const s = decodeCifar10(rec);
    expect(s.count).toBe(1);
    expect(s.shape).toEqual([32, 32, 3]);
    expect(Array.from(s.labels)).toEqual([7]);
    expect(Array.from(s.images.subarray(0, 6))).toEqual([1, 2, 3, 1, 2, 3]);
    const at = (1 * 32 + 2) * 3;
    expect(Array.from(s.images.subarray(at, at + 3))).toEqual([10, 20, 30]);
    // the transposed neighbour (row 2, col 1) is untouched
    const t = (2 * 32 + 1) * 3;
    expect(Array.from(s.images.subarray(t, t + 3))).toEqual([1, 2, 3]);
    // encodeCifar10 is the inverse
    expect(encodeCifar10(s.images as Uint8Array, s.labels)).toEqual(rec);
  });

  it('rejects a size that is not a multiple of 3073 and a label above 9', () => {
    expectCode(() => decodeCifar10(new Uint8Array(3073 * 2 + 5), 'x.bin'), 'CORRUPT_FILE', 'x.bin', /3073/);
    expectCode(() => decodeCifar10(new Uint8Array(0), 'x.bin'), 'CORRUPT_FILE', /3073/);
    const rec = new Uint8Array(3073);
    rec[0] = 10;
    expectCode(() => decodeCifar10(rec, 'y.bin'), 'CORRUPT_FILE', 'y.bin', /label 10/);
  });
});

describe('cifar10 on generated files in the official binary layout', () => {
  it('round-trips values and labels through the six files, with class names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-cifar-'));
    const expected = writeCifar10Fixture(dir, { trainPerBatch: 7, test: 5, seed: 3 });
    const ds = cifar10(dir);
    expect(ds.name).toBe('cifar10');
    expect(ds.inputShape).toEqual([32, 32, 3]);
    expect(ds.numClasses).toBe(10);
    expect(ds.classNames).toEqual(CIFAR10_CLASSES);
    expect(ds.train.count).toBe(35);
    expect(ds.test.count).toBe(5);
    expect(ds.train.images).toEqual(expected.train.images);
    expect(ds.train.labels).toEqual(expected.train.labels);
    expect(ds.test.images).toEqual(expected.test.images);
    expect(ds.test.labels).toEqual(expected.test.labels);
    // the same seed writes the same files; another seed different ones
    const again = writeCifar10Fixture(join(dir, 'again'), { trainPerBatch: 7, test: 5, seed: 3 });
    expect(again.train.images).toEqual(expected.train.images);
    const other = writeCifar10Fixture(join(dir, 'other'), { trainPerBatch: 7, test: 5, seed: 4 });
    expect(other.train.images).not.toEqual(expected.train.images);
  });

  it('finds the files inside cifar-10-batches-bin/ (the tarball layout) and reads custom class names', () => {
    const root = mkdtempSync(join(tmpdir(), 'tnzip-cifar-root-'));
    const dir = join(root, 'cifar-10-batches-bin');
    writeCifar10Fixture(dir, { trainPerBatch: 1, test: 1, seed: 1 });
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    writeFileSync(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n`);
    const ds = cifar10({ dir: root });
    expect(ds.train.count).toBe(5);
    expect(ds.classNames).toEqual(names);
  });

  it('throws CORRUPT_FILE naming a file of the wrong size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-cifar-bad-'));
    writeCifar10Fixture(dir, { trainPerBatch: 2, test: 2, seed: 1 });
    const bad = join(dir, 'data_batch_3.bin');
    writeFileSync(bad, new Uint8Array(3073 + 100));
    expectCode(() => cifar10(dir), 'CORRUPT_FILE', bad, /not a positive multiple of the 3073-byte/);
  });

  it('throws NOT_FOUND naming a missing file or directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-cifar-missing-'));
    writeCifar10Fixture(dir, { trainPerBatch: 1, test: 1, seed: 1 });
    const gone = join(dir, 'test_batch.bin');
    unlinkSync(gone);
    expectCode(() => cifar10(dir), 'NOT_FOUND', gone);
    const nodir = join(dir, 'nowhere');
    expectCode(() => cifar10(nodir), 'NOT_FOUND', nodir);
    mkdirSync(join(dir, 'empty'));
    expectCode(() => cifar10(join(dir, 'empty')), 'NOT_FOUND', /data_batch_1\.bin/);
  });
});
