export type { Augmentation } from './augment.js';
export { augmentedShape } from './augment.js';
export type { Batch, BatchOptions } from './batches.js';
export { batchCount, batches } from './batches.js';
export {
  CIFAR10_CLASSES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  cifar10,
  decodeCifar10,
} from './cifar10.js';
export type { Cifar10FixtureOptions } from './cifar10-fixture.js';
export { encodeCifar10, writeCifar10Fixture } from './cifar10-fixture.js';
export type { Dataset, DatasetSource, Split } from './dataset.js';
export type { DatasetHeaders, HeaderDatasetName } from './dataset-headers.js';
export { datasetHeaders } from './dataset-headers.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DEBIAN_DIR, fashionMnist } from './fashion-mnist.js';
export type { IdxArray, IdxData, ReadIdxOptions } from './idx.js';
export { encodeIdx, isGzip, readIdx } from './idx.js';
export { readIdxFile, readIdxFileHeader } from './idx-file.js';
export type { IdxHeader } from './idx-header.js';
export { MAX_IDX_BYTES } from './idx-header.js';
export { mnist, mnistDataDir } from './mnist.js';
export type { Normalization } from './normalization.js';
export {
  CIFAR10_NORMALIZATION,
  channelAffine,
  FASHION_MNIST_NORMALIZATION,
  MNIST_NORMALIZATION,
} from './normalization.js';
export { epochPermutation } from './permutation.js';
export { selectExamples } from './select.js';
export { validationSplit } from './validation-split.js';
