import { type Dataset, validationSplit } from '@tnzip/data';

/** The largest held-out validation split: 5,000 training images, as the ranks experiments use. */
export const HELD_OUT_MAX = 5000;

/**
 * The training split of `ds` less a seeded validation split of `min(5000, count/12)` images (5,000
 * of MNIST's 60,000), as a dataset whose `test` is the validation split: whatever is chosen on it
 * (`--finetune-lr auto`'s lr, BATUDE's λ) is chosen without a test image and on images its probe
 * or phase never trained on.
 */
export function heldOutDataset(ds: Dataset, seed: number): { ds: Dataset; valSize: number } {
  const valSize = Math.min(HELD_OUT_MAX, Math.round(ds.train.count / 12));
  const { train, val } = validationSplit(ds.train, valSize / ds.train.count, seed);
  return { ds: { ...ds, train, test: val }, valSize };
}
