import { sizeOf } from '@tnzip/tensor';

/** Permutes the axes of row-major `data` of `shape`: `out.shape[i] = shape[perm[i]]`. */
export function permuteData(data: Float64Array, shape: readonly number[], perm: readonly number[]): Float64Array {
  const d = shape.length;
  const inStrides = new Array<number>(d).fill(1);
  for (let i = d - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const outShape = perm.map((p) => shape[p] as number);
  const strides = perm.map((p) => inStrides[p] as number);
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  const idx = new Array<number>(d).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src] as number;
    for (let a = d - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1;
      src += strides[a] as number;
      if ((idx[a] as number) < (outShape[a] as number)) break;
      src -= (strides[a] as number) * (outShape[a] as number);
      idx[a] = 0;
    }
  }
  return out;
}
