import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch, BatchOptions, Split } from './index.js';
import { batchCount, batches, epochPermutation, mnist } from './index.js';

/** A split whose pixel values encode (example, row, column, channel), so any mix-up shows. */
function makeSplit(count: number, shape: [number, number, number]): Split {
  const [h, w, c] = shape;
  const images = new Uint8Array(count * h * w * c);
  let o = 0;
  for (let i = 0; i < count; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) images[o++] = (i * 37 + y * 11 + x * 5 + ch * 101 + 1) % 256;
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10);
  return { images, labels, count, shape: [...shape] };
}

/** Reads every batch's arrays, disposing its tensors. */
function collect(
  split: Split,
  options: BatchOptions,
): { x: Float32Array; y: Int32Array; shape: number[]; batch: number; indices: number[] }[] {
  const out = [];
  for (const b of batches(split, options)) {
    out.push({
      x: b.x.dataSync() as Float32Array,
      y: b.y.dataSync() as Int32Array,
      shape: b.x.shape,
      batch: b.batch,
      indices: Array.from(b.indices),
    });
    dispose(b);
  }
  return out;
}

function dispose(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
  b.oneHot?.dispose();
}

function expectCode(fn: () => unknown, code: string, needle: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e, code as never), String(e)).toBe(true);
    expect((e as Error).message).toMatch(needle);
    return;
  }
  throw new Error(`expected a TnzipError ${code}`);
}

/** The example at `i` of `split`, as a flat array [H, W, C]. */
const example = (s: Split, i: number): number[] => {
  const n = s.shape.reduce((a, b) => a * b, 1);
  return Array.from(s.images.subarray(i * n, (i + 1) * n));
};

/** Reference crop-then-flip with zero padding, written independently of augment.ts. */
function reference(
  img: number[],
  h: number,
  w: number,
  c: number,
  size: number,
  pad: number,
  dy: number,
  dx: number,
  flip: boolean,
): number[] {
  const out: number[] = [];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const xx = flip ? size - 1 - x : x;
      const sy = y + dy - pad;
      const sx = xx + dx - pad;
      for (let ch = 0; ch < c; ch++)
        out.push(sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : (img[(sy * w + sx) * c + ch] as number));
    }
  return out;
}

const raw = { normalize: null } as const;

describe('epochPermutation and batchCount', () => {
  it('is a permutation fixed by (seed, epoch)', () => {
    const p = epochPermutation(1000, 7, 3);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochPermutation(1000, 7, 3)).toEqual(p);
    expect(epochPermutation(1000, 7, 4)).not.toEqual(p);
    expect(epochPermutation(1000, 8, 3)).not.toEqual(p);
  });

  it('counts batches with and without dropLast', () => {
    expect(batchCount(23, 5)).toBe(5);
    expect(batchCount(23, 5, true)).toBe(4);
    expect(batchCount(20, 5, true)).toBe(4);
    expect(batchCount(0, 5)).toBe(0);
    expectCode(() => batchCount(10, 0), 'INVALID_ARGUMENT', /batchSize/);
  });
});

describeBackends('batches', () => {
  const split = makeSplit(23, [4, 5, 3]);

  it('yields NHWC float32 x and int32 y of the right shapes; the last batch is short unless dropLast', () => {
    const all = collect(split, { batchSize: 5, ...raw });
    expect(all.map((b) => b.shape)).toEqual([
      [5, 4, 5, 3],
      [5, 4, 5, 3],
      [5, 4, 5, 3],
      [5, 4, 5, 3],
      [3, 4, 5, 3],
    ]);
    expect(all.map((b) => b.batch)).toEqual([0, 1, 2, 3, 4]);
    expect(collect(split, { batchSize: 5, dropLast: true, ...raw })).toHaveLength(4);
    const first = batches(split, { batchSize: 5, flatten: true, oneHot: 10, ...raw }).next().value as Batch;
    expect(first.x.shape).toEqual([5, 60]);
    expect(first.x.dtype).toBe('float32');
    expect(first.y.dtype).toBe('int32');
    expect(first.oneHot?.shape).toEqual([5, 10]);
    const oh = first.oneHot!.arraySync();
    const ys = first.y.arraySync();
    oh.forEach((row, j) => {
      expect(row).toEqual(Array.from({ length: 10 }, (_, k) => (k === ys[j] ? 1 : 0)));
    });
    dispose(first);
  });

  it('visits every example exactly once per epoch, with its own label and pixels', () => {
    const all = collect(split, { batchSize: 4, seed: 11, epoch: 2, ...raw });
    const seen = all.flatMap((b) => b.indices);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(seen).toEqual(Array.from(epochPermutation(23, 11, 2)));
    for (const b of all) {
      b.indices.forEach((i, j) => {
        expect(b.y[j]).toBe(split.labels[i]);
        expect(Array.from(b.x.subarray(j * 60, (j + 1) * 60))).toEqual(example(split, i));
      });
    }
    const ordered = collect(split, { batchSize: 4, shuffle: false, ...raw }).flatMap((b) => b.indices);
    expect(ordered).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('normalizes per channel as (x/255 − mean)/std', () => {
    const norm = { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] };
    const [b] = collect(split, { batchSize: 23, shuffle: false, normalize: norm });
    const x = b!.x;
    for (let e = 0; e < split.images.length; e++) {
      const c = e % 3;
      const want = ((split.images[e] as number) / 255 - (norm.mean[c] as number)) / (norm.std[c] as number);
      // float32 arithmetic: a few ulps of values of order 1
      expect(Math.abs((x[e] as number) - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)));
    }
    expectCode(
      () => batches(split, { batchSize: 2, normalize: { mean: [0, 0], std: [1, 1] } }),
      'INVALID_ARGUMENT',
      /1 or 3 entries/,
    );
    expectCode(
      () => batches(split, { batchSize: 2, normalize: { mean: [0], std: [0] } }),
      'INVALID_ARGUMENT',
      /std\[0\]/,
    );
  });

  it('is deterministic per (seed, epoch) and differs across epochs and seeds', () => {
    const opts: BatchOptions = {
      batchSize: 6,
      seed: 5,
      epoch: 1,
      augment: { randomCrop: { size: 4, padding: 1 } },
      ...raw,
    };
    const a = collect(split, opts);
    const b = collect(split, opts);
    expect(b).toEqual(a);
    expect(collect(split, { ...opts, epoch: 2 }).map((q) => q.indices)).not.toEqual(a.map((q) => q.indices));
    expect(collect(split, { ...opts, seed: 6 }).map((q) => q.indices)).not.toEqual(a.map((q) => q.indices));
  });

  it('resumes at startBatch with exactly the batches of an uninterrupted pass (with augmentation)', () => {
    const sq = makeSplit(30, [6, 6, 2]);
    const opts: BatchOptions = {
      batchSize: 4,
      seed: 99,
      epoch: 4,
      augment: { randomCrop: { size: 6, padding: 2 }, horizontalFlip: true },
      normalize: { mean: [0.5], std: [0.25] },
    };
    const full = collect(sq, opts);
    for (const k of [0, 1, 3, 7, 8]) {
      const resumed = collect(sq, { ...opts, startBatch: k });
      expect(resumed).toEqual(full.slice(k));
    }
    expect(collect(sq, { ...opts, startBatch: batchCount(sq, 4) })).toEqual([]);
    expectCode(() => batches(sq, { ...opts, startBatch: 9 }), 'INVALID_ARGUMENT', /startBatch/);
  });

  it('horizontal flip mirrors the image left-right, about half the time', () => {
    const sq = makeSplit(40, [5, 6, 2]);
    const all = collect(sq, { batchSize: 8, seed: 1, augment: { horizontalFlip: true }, ...raw });
    let flipped = 0;
    for (const b of all) {
      expect(b.shape.slice(1)).toEqual([5, 6, 2]);
      b.indices.forEach((i, j) => {
        const got = Array.from(b.x.subarray(j * 60, (j + 1) * 60));
        const orig = example(sq, i);
        const mirrored: number[] = [];
        for (let y = 0; y < 5; y++)
          for (let x = 0; x < 6; x++)
            for (let c = 0; c < 2; c++) mirrored.push(orig[(y * 6 + (5 - x)) * 2 + c] as number);
        if (JSON.stringify(got) === JSON.stringify(mirrored)) flipped++;
        else expect(got).toEqual(orig);
      });
    }
    // 40 fair coin flips: P(flipped outside [8, 32]) < 1e-4
    expect(flipped).toBeGreaterThanOrEqual(8);
    expect(flipped).toBeLessThanOrEqual(32);
  });

  it('random crop with padding keeps the size and cuts a window of the zero-padded image', () => {
    const sq = makeSplit(24, [6, 6, 2]);
    const pad = 2;
    const all = collect(sq, {
      batchSize: 6,
      seed: 3,
      augment: { randomCrop: { size: 6, padding: pad }, horizontalFlip: true },
      ...raw,
    });
    const offsets = new Set<string>();
    for (const b of all) {
      expect(b.shape.slice(1)).toEqual([6, 6, 2]);
      b.indices.forEach((i, j) => {
        const got = JSON.stringify(Array.from(b.x.subarray(j * 72, (j + 1) * 72)));
        const orig = example(sq, i);
        const matches: string[] = [];
        for (let dy = 0; dy <= 2 * pad; dy++)
          for (let dx = 0; dx <= 2 * pad; dx++)
            for (const flip of [false, true])
              if (JSON.stringify(reference(orig, 6, 6, 2, 6, pad, dy, dx, flip)) === got)
                matches.push(`${dy},${dx},${flip}`);
        expect(matches.length).toBeGreaterThan(0);
        offsets.add(matches[0] as string);
      });
    }
    // 24 draws over 25 offsets × 2 flips: many distinct windows, not one fixed offset
    expect(offsets.size).toBeGreaterThan(8);
    // a smaller crop changes the output size
    const small = collect(sq, { batchSize: 6, seed: 3, augment: { randomCrop: { size: 4, padding: 0 } }, ...raw });
    expect(small[0]?.shape).toEqual([6, 4, 4, 2]);
    expectCode(
      () => batches(sq, { batchSize: 2, augment: { randomCrop: { size: 11, padding: 2 } }, ...raw }),
      'INVALID_ARGUMENT',
      /size/,
    );
  });

  it('rejects bad options before the first batch', () => {
    expectCode(() => batches(split, { batchSize: 0, ...raw }), 'INVALID_ARGUMENT', /batchSize/);
    expectCode(() => batches(split, { batchSize: 2, seed: -1, ...raw }), 'INVALID_ARGUMENT', /seed/);
    expectCode(() => batches(split, { batchSize: 2, oneHot: 5, ...raw }), 'INVALID_ARGUMENT', /label 6/);
    const flat: Split = { images: new Float32Array(12), labels: new Uint8Array(3), count: 3, shape: [4] };
    expectCode(
      () => batches(flat, { batchSize: 2, augment: { horizontalFlip: true }, ...raw }),
      'SHAPE_MISMATCH',
      /\[H, W, C\]/,
    );
    const b = batches(flat, { batchSize: 2, ...raw }).next().value as Batch;
    expect(b.x.shape).toEqual([2, 4]);
    dispose(b);
  });

  it('leaves no tensor behind after a whole epoch when each batch is disposed', () => {
    expectNoLeak(() => {
      let n = 0;
      for (const b of batches(split, {
        batchSize: 4,
        oneHot: 10,
        augment: { horizontalFlip: true },
        normalize: { mean: [0.5], std: [0.5] },
      })) {
        n++;
        dispose(b);
      }
      expect(n).toBe(6);
    });
  });
});

describeBackends('batches on real MNIST', () => {
  let test: Split;
  beforeAll(() => {
    test = mnist().test;
  });

  it('iterates the 10,000 test images without leaking, normalized to mean ≈ 0, std ≈ 1', () => {
    const before = tf.memory().numTensors;
    let count = 0;
    let s = 0;
    let s2 = 0;
    for (const b of batches(test, {
      batchSize: 1000,
      seed: 1,
      normalize: { mean: [0.1307], std: [0.3081] },
      flatten: true,
    })) {
      expect(b.x.shape).toEqual([1000, 784]);
      const x = b.x.dataSync();
      for (const v of x) {
        s += v;
        s2 += v * v;
      }
      count += b.x.shape[0];
      dispose(b);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(count).toBe(10000);
    const mean = s / (count * 784);
    const std = Math.sqrt(s2 / (count * 784) - mean * mean);
    // the constants are training-set statistics; the test set differs by about 1% of a std
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.02);
  });
});
