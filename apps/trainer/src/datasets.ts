import { cifar10, type Dataset, fashionMnist, mnist, type Split, selectExamples } from '@tnzip/data';
import { UsageError } from './exit-codes.js';

/** Datasets the CLI can load, by `--dataset` name. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;

/** A name from {@link DATASET_NAMES}. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The dataset a zoo model is trained on when `--dataset` is absent. */
export function defaultDataset(model: string): DatasetName {
  return model.startsWith('lenet') ? 'mnist' : 'cifar10';
}

/** Where to read a dataset and how much of it to keep. */
export interface DatasetRequest {
  readonly dataset: DatasetName;
  readonly dataDir: string | null;
  readonly limitTrain: number | null;
  readonly limitTest: number | null;
}

function firstN(split: Split, n: number | null): Split {
  if (n === null || n >= split.count) return split;
  return selectExamples(
    split,
    Array.from({ length: n }, (_, i) => i),
  );
}

/**
 * Loads a dataset through @tnzip/data and keeps the first `limitTrain` / `limitTest` examples of
 * each split (file order: a deterministic subset, the same in every run).
 *
 * @throws UsageError when CIFAR-10 is asked for without `--data-dir`; the loaders' TnzipErrors
 *   (NOT_FOUND for a missing directory or file, CORRUPT_FILE for a bad magic number or a truncated file).
 */
export function loadDataset(req: DatasetRequest): Dataset {
  let ds: Dataset;
  switch (req.dataset) {
    case 'mnist':
      ds = mnist(req.dataDir ?? undefined);
      break;
    case 'fashion-mnist':
      ds = fashionMnist(req.dataDir ?? undefined);
      break;
    case 'cifar10':
      if (req.dataDir === null) {
        throw new UsageError(
          '--dataset cifar10 needs --data-dir DIR (the directory of data_batch_1.bin … test_batch.bin from cifar-10-binary.tar.gz)',
        );
      }
      ds = cifar10(req.dataDir);
      break;
  }
  return { ...ds, train: firstN(ds.train, req.limitTrain), test: firstN(ds.test, req.limitTest) };
}
