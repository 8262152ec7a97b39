import { IMAGE_SIZE } from './preprocess.js';

/** The committed MNIST test samples: `pixels` uint8 `[count, 28, 28, 1]` row-major, `labels[i]` in 0..9. */
export interface Samples {
  readonly count: number;
  readonly pixels: Uint8Array;
  readonly labels: readonly number[];
}

/**
 * Fetches `samples/mnist-test-100.bin` (raw pixels) and `.json` (labels) relative to `base`, the same
 * bytes Node's check reads from `public/samples/`.
 */
export async function fetchSamples(base: string): Promise<Samples> {
  const get = async (file: string): Promise<Response> => {
    const url = new URL(`samples/${file}`, base).href;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`samples/${file} answered HTTP ${res.status}`);
    return res;
  };
  const [bin, meta] = await Promise.all([get('mnist-test-100.bin'), get('mnist-test-100.json')]);
  const pixels = new Uint8Array(await bin.arrayBuffer());
  const { count, labels } = (await meta.json()) as { count: number; labels: number[] };
  if (pixels.length !== count * IMAGE_SIZE || labels.length !== count)
    throw new Error(`samples/mnist-test-100.bin: expected ${count} images of 784 bytes and ${count} labels`);
  return { count, pixels, labels };
}
