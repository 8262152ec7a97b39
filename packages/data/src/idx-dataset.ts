import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TnzipError } from '@tnzip/tensor';
import type { Split } from './dataset.js';
import { readIdxFile } from './idx-file.js';

/**
 * Finds `base` or `base.gz` in `dir` (the MNIST family ships both ways).
 * @throws TnzipError `NOT_FOUND` naming both candidate paths.
 */
function findIdx(dir: string, base: string, datasetName: string): string {
  for (const p of [join(dir, base), join(dir, `${base}.gz`)]) if (existsSync(p)) return p;
  throw new TnzipError('NOT_FOUND', `${datasetName}: file not found: ${join(dir, base)} (or ${base}.gz)`);
}

/**
 * Reads one MNIST-layout split: `<prefix>-images-idx3-ubyte[.gz]` (uint8 `[n, H, W]`) and
 * `<prefix>-labels-idx1-ubyte[.gz]` (uint8 `[n]`), into a {@link Split} of example shape `[H, W, 1]`.
 *
 * @throws TnzipError `NOT_FOUND` for a missing directory or file; `CORRUPT_FILE` naming the file when
 *   the images are not uint8 of order 3, the labels not uint8 of order 1, their counts differ, or a
 *   label is `>= numClasses`.
 */
export function readIdxSplit(dir: string, prefix: string, numClasses: number, datasetName: string): Split {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TnzipError('NOT_FOUND', `${datasetName}: dataset directory not found: ${dir}`);
  }
  const imagesPath = findIdx(dir, `${prefix}-images-idx3-ubyte`, datasetName);
  const labelsPath = findIdx(dir, `${prefix}-labels-idx1-ubyte`, datasetName);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (!(images.data instanceof Uint8Array) || images.shape.length !== 3) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${imagesPath}: expected uint8 images of shape [n, H, W], got ${images.data.constructor.name} of shape [${images.shape.join(', ')}]`,
    );
  }
  if (!(labels.data instanceof Uint8Array) || labels.shape.length !== 1) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${labelsPath}: expected uint8 labels of shape [n], got ${labels.data.constructor.name} of shape [${labels.shape.join(', ')}]`,
    );
  }
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) {
    throw new TnzipError('CORRUPT_FILE', `${labelsPath}: ${labels.shape[0]} labels for ${n} images in ${imagesPath}`);
  }
  for (let i = 0; i < n; i++) {
    const l = labels.data[i] as number;
    if (l >= numClasses) {
      throw new TnzipError('CORRUPT_FILE', `${labelsPath}: label ${l} at index ${i} is outside [0, ${numClasses - 1}]`);
    }
  }
  return { images: images.data, labels: labels.data, count: n, shape: [h, w, 1] };
}
