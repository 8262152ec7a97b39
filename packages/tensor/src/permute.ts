import { TnzipError } from './errors.js';
import type { Tensor64 } from './float64.js';
import { sizeOf } from './float64.js';

/**
 * Permutes the axes of row-major float64 `data` of `shape`: the result has shape
 * `shape[perm[0]], …, shape[perm[d−1]]`, with `out[i_0, …] = in[…]` at the permuted index
 * (NumPy's `transpose(perm)` followed by a C-order copy).
 *
 * @throws TnzipError SHAPE_MISMATCH (`data.length` ≠ Π shape), INVALID_ARGUMENT (`perm` not a
 *   permutation of `0…d−1`)
 */
export function permuteData64(data: Float64Array, shape: readonly number[], perm: readonly number[]): Float64Array {
  const d = shape.length;
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `permute64: data has ${data.length} entries, shape [${shape.join(', ')}] needs ${n}`,
    );
  }
  if (perm.length !== d || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `permute64: perm must be a permutation of 0…${d - 1}, got [${perm.join(', ')}]`,
    );
  }
  const inStrides = new Array<number>(d).fill(1);
  for (let i = d - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const outShape = perm.map((p) => shape[p] as number);
  const strides = perm.map((p) => inStrides[p] as number);
  const out = new Float64Array(n);
  const idx = new Array<number>(d).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src] as number;
    // Odometer over the output axes, last fastest, moving the source offset incrementally.
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

/** {@link permuteData64} on a {@link Tensor64}: `out.shape[i] = x.shape[perm[i]]`. */
export function permute64(x: Tensor64, perm: readonly number[]): Tensor64 {
  return { shape: perm.map((p) => x.shape[p] as number), data: permuteData64(x.data, x.shape, perm) };
}
