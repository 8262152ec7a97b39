import { checkInt, checkNumber, Rng, TnzipError } from '@tnzip/tensor';
import type { Split } from './dataset.js';
import { mixSeed, permutation, STREAM } from './permutation.js';
import { selectExamples } from './select.js';

/**
 * Holds out a seeded random `fraction` of `split` as a validation set (not stratified).
 *
 * `val` gets `round(fraction · count)` examples, `train` the rest; together they are a partition of the
 * input (disjoint, nothing lost). Both keep the original relative order of their examples. The choice
 * depends only on `(count, fraction, seed)`.
 *
 * @param fraction in (0, 1); both parts must end up non-empty.
 * @param seed an integer in [0, 2^32).
 * @throws TnzipError `INVALID_ARGUMENT` for a fraction outside (0, 1) or one that leaves a part empty.
 */
export function validationSplit(split: Split, fraction: number, seed: number): { train: Split; val: Split } {
  checkNumber(fraction, 'fraction', 0, 1);
  checkInt(seed, 'seed', 0, 0xffffffff);
  const nVal = Math.round(fraction * split.count);
  if (nVal < 1 || nVal >= split.count) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `fraction must leave both parts non-empty: ${fraction} of ${split.count} examples gives ${nVal} for validation`,
    );
  }
  const perm = permutation(split.count, new Rng(mixSeed(STREAM.split, seed)));
  const val = perm.slice(0, nVal).sort();
  const train = perm.slice(nVal).sort();
  return { train: selectExamples(split, train), val: selectExamples(split, val) };
}
