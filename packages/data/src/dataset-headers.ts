import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TnzipError } from '@tnzip/tensor';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './cifar10.js';
import { type DatasetSource, sourceDir } from './dataset.js';
import { FASHION_MNIST_DEBIAN_DIR } from './fashion-mnist.js';
import { readIdxFileHeader } from './idx-file.js';
import { mnistDataDir } from './mnist.js';

/** What a dataset's headers state, read without loading any example. */
export interface DatasetHeaders {
  /** One example's shape, e.g. `[28, 28, 1]`. */
  readonly inputShape: readonly number[];
  readonly trainCount: number;
  readonly testCount: number;
}

/** Dataset names {@link datasetHeaders} knows. */
export type HeaderDatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';

function findIdx(dir: string, base: string, datasetName: string): string {
  for (const p of [join(dir, base), join(dir, `${base}.gz`)]) if (existsSync(p)) return p;
  throw new TnzipError('NOT_FOUND', `${datasetName}: file not found: ${join(dir, base)} (or ${base}.gz)`);
}

function idxSplitHeaders(
  dir: string,
  prefix: string,
  datasetName: string,
): { path: string; count: number; shape: number[] } {
  const imagesPath = findIdx(dir, `${prefix}-images-idx3-ubyte`, datasetName);
  const labelsPath = findIdx(dir, `${prefix}-labels-idx1-ubyte`, datasetName);
  const images = readIdxFileHeader(imagesPath);
  const labels = readIdxFileHeader(labelsPath);
  if (images.code !== 0x08 || images.shape.length !== 3)
    throw new TnzipError(
      'CORRUPT_FILE',
      `${imagesPath}: expected uint8 images of shape [n, H, W], got type 0x${images.code.toString(16)} of shape [${images.shape.join(', ')}]`,
    );
  if (labels.code !== 0x08 || labels.shape.length !== 1)
    throw new TnzipError(
      'CORRUPT_FILE',
      `${labelsPath}: expected uint8 labels of shape [n], got type 0x${labels.code.toString(16)} of shape [${labels.shape.join(', ')}]`,
    );
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n)
    throw new TnzipError('CORRUPT_FILE', `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`);
  return { path: imagesPath, count: n, shape: [h, w, 1] };
}

/**
 * The MNIST-layout headers of `dir` (train and t10k splits): CORRUPT_FILE naming the test images
 * when their example shape differs from the training images'.
 */
export function idxDatasetHeaders(dir: string, datasetName: string): DatasetHeaders {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new TnzipError('NOT_FOUND', `${datasetName}: dataset directory not found: ${dir}`);
  const train = idxSplitHeaders(dir, 'train', datasetName);
  const test = idxSplitHeaders(dir, 't10k', datasetName);
  if (train.shape.join('x') !== test.shape.join('x'))
    throw new TnzipError(
      'CORRUPT_FILE',
      `${test.path}: test images are [${test.shape.slice(0, 2).join(', ')}], the training images [${train.shape.slice(0, 2).join(', ')}]`,
    );
  return { inputShape: train.shape, trainCount: train.count, testCount: test.count };
}

function cifarHeaders(source: DatasetSource | undefined): DatasetHeaders {
  const given = sourceDir(source);
  if (given === undefined)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'cifar10: dir must name the directory holding data_batch_1.bin … test_batch.bin',
    );
  if (!existsSync(given) || !statSync(given).isDirectory())
    throw new TnzipError('NOT_FOUND', `CIFAR-10: dataset directory not found: ${given}`);
  const nested = join(given, 'cifar-10-batches-bin');
  const dir = !existsSync(join(given, CIFAR10_TRAIN_FILES[0] as string)) && existsSync(nested) ? nested : given;
  const records = (file: string): number => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new TnzipError('NOT_FOUND', `CIFAR-10 batch not found: ${path}`);
    const st = statSync(path);
    if (!st.isFile() || st.size === 0 || st.size % CIFAR10_RECORD_BYTES !== 0)
      throw new TnzipError(
        'CORRUPT_FILE',
        `${path}: a CIFAR-10 batch must be a regular file of a positive multiple of ${CIFAR10_RECORD_BYTES} bytes, got ${st.isFile() ? `${st.size} bytes` : 'no regular file'}`,
      );
    return st.size / CIFAR10_RECORD_BYTES;
  };
  return {
    inputShape: [32, 32, 3],
    trainCount: CIFAR10_TRAIN_FILES.reduce((a, f) => a + records(f), 0),
    testCount: records(CIFAR10_TEST_FILE),
  };
}

/**
 * Reads only the headers of a dataset (IDX headers, CIFAR-10 file sizes), with the loaders' file
 * resolution and errors (NOT_FOUND, CORRUPT_FILE naming the file): lets a caller check shapes and
 * counts before loading a single example. Node only.
 */
export function datasetHeaders(name: HeaderDatasetName, source?: DatasetSource): DatasetHeaders {
  switch (name) {
    case 'mnist':
      return idxDatasetHeaders(sourceDir(source) ?? mnistDataDir(), 'MNIST');
    case 'fashion-mnist': {
      const dir = sourceDir(source) ?? FASHION_MNIST_DEBIAN_DIR;
      if (!existsSync(dir))
        throw new TnzipError(
          'NOT_FOUND',
          `Fashion-MNIST not found: directory ${dir} does not exist (install the Debian package dataset-fashion-mnist, or pass the directory holding its IDX files)`,
        );
      return idxDatasetHeaders(dir, 'Fashion-MNIST');
    }
    case 'cifar10':
      return cifarHeaders(source);
  }
}
