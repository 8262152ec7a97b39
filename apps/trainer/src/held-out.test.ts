import type { Dataset } from '@tnzip/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from './datasets.js';
import { heldOutDataset } from './held-out.js';
import { resolveTrainConfig } from './train-config.js';

let ds: Dataset;
beforeAll(async () => {
  ds = await loadDataset(
    resolveTrainConfig({ model: 'lenet300', epochs: '1', 'limit-train': '600', 'limit-test': '100' }, null),
  );
});

describe('heldOutDataset', () => {
  it('holds out a seeded twelfth of the training split as the validation split and never uses the test split', () => {
    const a = heldOutDataset(ds, 3);
    expect(a.valSize).toBe(50);
    expect(a.ds.test.count).toBe(50);
    expect(a.ds.train.count).toBe(550);
    expect(a.ds.test).not.toBe(ds.test);
    // Seeded: the same seed holds out the same images, another seed others.
    const again = heldOutDataset(ds, 3).ds.test.images;
    expect(Array.from(again)).toEqual(Array.from(a.ds.test.images));
    expect(Array.from(heldOutDataset(ds, 4).ds.test.images)).not.toEqual(Array.from(a.ds.test.images));
  });
});
