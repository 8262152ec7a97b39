import { isTnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import type { Split } from './index.js';
import { selectExamples, validationSplit } from './index.js';

/** 50 examples of shape [2, 2, 1] whose first pixel is the example's index (its identity). */
function makeSplit(count = 50): Split {
  const images = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) images.set([i, 255 - i, i % 7, 3], i * 4);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, shape: [2, 2, 1] };
}
const ids = (s: Split): number[] => Array.from({ length: s.count }, (_, k) => s.images[k * 4] as number);

describe('validationSplit', () => {
  const split = makeSplit();

  it('partitions the split: disjoint, complete, of the requested size, examples intact', () => {
    const { train, val } = validationSplit(split, 0.2, 7);
    expect(val.count).toBe(10);
    expect(train.count).toBe(40);
    const a = ids(train);
    const b = ids(val);
    expect(a.filter((i) => b.includes(i))).toEqual([]);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // each example keeps its pixels and label, and the original relative order
    for (const s of [train, val]) {
      ids(s).forEach((i, k) => {
        expect(Array.from(s.images.subarray(k * 4, k * 4 + 4))).toEqual([i, 255 - i, i % 7, 3]);
        expect(s.labels[k]).toBe(i % 10);
      });
      expect(ids(s)).toEqual([...ids(s)].sort((x, y) => x - y));
      expect(s.shape).toEqual([2, 2, 1]);
      expect(s.images).toBeInstanceOf(Uint8Array);
    }
  });

  it('is deterministic in the seed, and another seed picks another subset', () => {
    const one = validationSplit(split, 0.2, 7);
    expect(ids(validationSplit(split, 0.2, 7).val)).toEqual(ids(one.val));
    expect(ids(validationSplit(split, 0.2, 8).val)).not.toEqual(ids(one.val));
  });

  it('rejects fractions that leave a part empty', () => {
    for (const f of [0, 1, 0.001, 0.999, -0.5, Number.NaN]) {
      try {
        validationSplit(split, f, 1);
        throw new Error(`fraction ${f} accepted`);
      } catch (e) {
        expect(isTnzipError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toMatch(/fraction/);
      }
    }
  });
});

describe('selectExamples', () => {
  it('copies the chosen examples in the given order and rejects bad indices', () => {
    const s = selectExamples(makeSplit(5), [4, 0, 4]);
    expect(ids(s)).toEqual([4, 0, 4]);
    expect(Array.from(s.labels)).toEqual([4, 0, 4]);
    expect(() => selectExamples(makeSplit(5), [5])).toThrow(/indices\[0\] must be an integer in \[0, 4\]/);
  });
});
