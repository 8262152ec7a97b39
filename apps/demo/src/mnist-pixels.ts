import { IMAGE_SIZE } from './preprocess.js';

/**
 * Turns a drawing into a 28×28 uint8 image the way MNIST was made: the ink's bounding box is scaled
 * (aspect kept, smoothed) to fit a 20×20 box, placed in a 28×28 field, then shifted by whole pixels so
 * its centre of mass sits at the centre (14, 14). An empty drawing gives all zeros.
 *
 * @returns Uint8Array of 784 grey values, row-major, 0 = background.
 */
export function drawingToMnist(src: HTMLCanvasElement): Uint8Array {
  const sctx = src.getContext('2d', { willReadFrequently: true });
  const out = new Uint8Array(IMAGE_SIZE);
  if (sctx === null) return out;
  const { width: w, height: h } = src;
  const data = sctx.getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if ((data[4 * (y * w + x)] as number) > 16) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const field = document.createElement('canvas');
  field.width = 28;
  field.height = 28;
  const fctx = field.getContext('2d', { willReadFrequently: true });
  if (fctx === null) return out;
  fctx.fillStyle = '#000';
  fctx.fillRect(0, 0, 28, 28);
  fctx.imageSmoothingEnabled = true;
  fctx.imageSmoothingQuality = 'high';
  fctx.drawImage(src, x0, y0, bw, bh, (28 - bw * s) / 2, (28 - bh * s) / 2, bw * s, bh * s);
  const grey = fctx.getImageData(0, 0, 28, 28).data;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const v = grey[4 * i] as number;
    mass += v;
    mx += v * (i % 28);
    my += v * Math.floor(i / 28);
  }
  const dx = mass > 0 ? Math.round(13.5 - mx / mass) : 0;
  const dy = mass > 0 ? Math.round(13.5 - my / mass) : 0;
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = grey[4 * (sy * 28 + sx)] as number;
    }
  return out;
}
