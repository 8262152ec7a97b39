import { existsSync } from 'node:fs';
import { TnzipError } from '@tnzip/tensor';
import type { Dataset, DatasetSource } from './dataset.js';
import { sourceDir } from './dataset.js';
import { idxDatasetHeaders } from './dataset-headers.js';
import { readIdxSplit } from './idx-dataset.js';
import { FASHION_MNIST_NORMALIZATION } from './normalization.js';

/** Where Debian's `dataset-fashion-mnist` package installs the Fashion-MNIST IDX files (gzip). */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's ten class names, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28×28 grey images of clothing, 10 classes,
 * in the MNIST file layout (`train-images-idx3-ubyte.gz`, …, raw or gzip).
 *
 * `dir` defaults to {@link FASHION_MNIST_DEBIAN_DIR}, filled by `apt-get install dataset-fashion-mnist`.
 * Node only.
 *
 * @returns a {@link Dataset} with `inputShape` `[28, 28, 1]`, uint8 pixels, `numClasses` 10, class names
 *   and `normalization` {@link FASHION_MNIST_NORMALIZATION} (mean 0.2860, std 0.3530).
 * @throws TnzipError `NOT_FOUND` when the directory is absent (the message names the Debian
 *   package to install) or a file in it is missing; `CORRUPT_FILE` naming a bad file.
 */
export function fashionMnist(source?: DatasetSource): Dataset {
  const given = sourceDir(source);
  const dir = given ?? FASHION_MNIST_DEBIAN_DIR;
  if (!existsSync(dir)) {
    throw new TnzipError(
      'NOT_FOUND',
      `Fashion-MNIST not found: directory ${dir} does not exist (install the Debian package dataset-fashion-mnist, which fills ${FASHION_MNIST_DEBIAN_DIR}, or pass the directory holding its IDX files)`,
    );
  }
  idxDatasetHeaders(dir, 'Fashion-MNIST'); // shapes and counts checked before any example is read
  const train = readIdxSplit(dir, 'train', 10, 'Fashion-MNIST');
  const test = readIdxSplit(dir, 't10k', 10, 'Fashion-MNIST');
  return {
    name: 'fashion-mnist',
    train,
    test,
    inputShape: [...train.shape],
    numClasses: 10,
    classNames: [...FASHION_MNIST_CLASSES],
    normalization: FASHION_MNIST_NORMALIZATION,
  };
}
