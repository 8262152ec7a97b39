/**
 * Naive float64 convolution and its exact gradients, by loops over the definition
 * y[n,i,j,t] = Σ_{a,b,c} xp[n, i·s_h + a·d_h, j·s_w + b·d_w, c] · W[a,b,c,t], for tests.
 */
import type { Pads } from './conv-geometry.js';

export interface RefConv {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  outShape: [number, number, number, number];
}

export function referenceConv(
  x: ArrayLike<number>,
  xs: readonly [number, number, number, number],
  w: ArrayLike<number>,
  ws: readonly [number, number, number, number],
  dy: ArrayLike<number> | null,
  stride: readonly [number, number],
  pads: Pads,
  dil: readonly [number, number],
): RefConv {
  const [n, h, wd, s] = xs;
  const [kh, kw, , t] = ws;
  const ho = Math.floor((h + pads.top + pads.bottom - ((kh - 1) * dil[0] + 1)) / stride[0]) + 1;
  const wo = Math.floor((wd + pads.left + pads.right - ((kw - 1) * dil[1] + 1)) / stride[1]) + 1;
  const y = new Float64Array(n * ho * wo * t);
  const dx = new Float64Array(n * h * wd * s);
  const dw = new Float64Array(kh * kw * s * t);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let a = 0; a < kh; a++)
          for (let bb = 0; bb < kw; bb++) {
            const p = i * stride[0] + a * dil[0] - pads.top;
            const q = j * stride[1] + bb * dil[1] - pads.left;
            if (p < 0 || p >= h || q < 0 || q >= wd) continue;
            for (let c = 0; c < s; c++) {
              const xi = ((b * h + p) * wd + q) * s + c;
              const xv = x[xi] as number;
              for (let o = 0; o < t; o++) {
                const wi = ((a * kw + bb) * s + c) * t + o;
                const yi = ((b * ho + i) * wo + j) * t + o;
                y[yi] = (y[yi] as number) + xv * (w[wi] as number);
                if (dy !== null) {
                  const g = dy[yi] as number;
                  dx[xi] = (dx[xi] as number) + g * (w[wi] as number);
                  dw[wi] = (dw[wi] as number) + g * xv;
                }
              }
            }
          }
  return { y, dx, dw, outShape: [n, ho, wo, t] };
}

/** ‖a − b‖₂ / max(‖b‖₂, tiny). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    num += d * d;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
