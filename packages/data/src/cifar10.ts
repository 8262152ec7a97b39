import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TnzipError } from '@tnzip/tensor';
import type { Dataset, DatasetSource, Split } from './dataset.js';
import { sourceDir } from './dataset.js';
import { CIFAR10_NORMALIZATION } from './normalization.js';
import { readBytes } from './read-bytes.js';

/** Bytes per record in the CIFAR-10 binary version: 1 label byte + 32·32·3 pixel bytes. */
export const CIFAR10_RECORD_BYTES = 3073;

/** CIFAR-10's class names in label order (as in `batches.meta.txt`). */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** The training files of the binary version, in order. */
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
];

/** The test file of the binary version. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';

const PLANE = 32 * 32;

/**
 * Decodes records of the CIFAR-10 binary layout. Each 3073-byte record is one label byte then three
 * channel-major 32×32 planes (R, then G, then B; each row-major); the pixels are transposed to NHWC
 * (`[32, 32, 3]` per example) so that they feed `conv2d` directly.
 *
 * @param bytes a whole number of records.
 * @param source what to call the data in error messages (a file path).
 * @returns a {@link Split} of `bytes.length / 3073` examples with example shape `[32, 32, 3]`.
 * @throws TnzipError `CORRUPT_FILE` naming `source` when the size is not a positive multiple of 3073 or a
 *   label is above 9.
 */
export function decodeCifar10(bytes: Uint8Array, source = 'CIFAR-10 data'): Split {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: size ${bytes.length} bytes is not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record (1 label + 3072 pixels)`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * 3 * PLANE);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    const label = bytes[rec] as number;
    if (label > 9) {
      throw new TnzipError('CORRUPT_FILE', `${source}: record ${i} has label ${label}, outside [0, 9]`);
    }
    labels[i] = label;
    const out = i * 3 * PLANE;
    for (let c = 0; c < 3; c++) {
      const plane = rec + 1 + c * PLANE;
      for (let p = 0; p < PLANE; p++) images[out + 3 * p + c] = bytes[plane + p] as number;
    }
  }
  return { images, labels, count: n, shape: [32, 32, 3] };
}

function concatSplits(parts: Split[]): Split {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3 * PLANE);
    labels.set(p.labels, at);
    at += p.count;
  }
  return { images, labels, count, shape: [32, 32, 3] };
}

/**
 * CIFAR-10, binary version (the `cifar-10-binary.tar.gz` download): 50,000 training images in
 * `data_batch_1.bin` … `data_batch_5.bin` and 10,000 test images in `test_batch.bin`, 32×32 RGB,
 * 10 classes. `dir` is the directory holding those files (or its parent holding
 * `cifar-10-batches-bin/`). Class names come from `batches.meta.txt` when present, else the standard
 * ten. Node only.
 *
 * @returns a {@link Dataset} with `inputShape` `[32, 32, 3]` (NHWC), uint8 pixels, `numClasses` 10 and
 *   `normalization` {@link CIFAR10_NORMALIZATION}.
 * @throws TnzipError `NOT_FOUND` naming the missing directory or file; `CORRUPT_FILE` naming a file whose
 *   size is not a multiple of 3073 bytes or which holds a label above 9.
 */
export function cifar10(source: DatasetSource): Dataset {
  const given = sourceDir(source);
  if (given === undefined) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'cifar10: dir must name the directory holding data_batch_1.bin … test_batch.bin',
    );
  }
  let dir = given;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TnzipError('NOT_FOUND', `CIFAR-10: dataset directory not found: ${dir}`);
  }
  const nested = join(dir, 'cifar-10-batches-bin');
  if (!existsSync(join(dir, CIFAR10_TRAIN_FILES[0] as string)) && existsSync(nested)) dir = nested;
  const read = (file: string, what: string): Split => {
    const path = join(dir, file);
    return decodeCifar10(readBytes(path, `CIFAR-10 ${what}`), path);
  };
  const train = concatSplits(CIFAR10_TRAIN_FILES.map((f) => read(f, 'training batch')));
  const test = read(CIFAR10_TEST_FILE, 'test batch');
  const metaPath = join(dir, 'batches.meta.txt');
  let classNames = [...CIFAR10_CLASSES];
  if (existsSync(metaPath)) {
    const names = readFileSync(metaPath, 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (names.length !== 10) {
      throw new TnzipError('CORRUPT_FILE', `${metaPath}: expected 10 class names (one per line), got ${names.length}`);
    }
    classNames = names;
  }
  return {
    name: 'cifar10',
    train,
    test,
    inputShape: [32, 32, 3],
    numClasses: 10,
    classNames,
    normalization: CIFAR10_NORMALIZATION,
  };
}
