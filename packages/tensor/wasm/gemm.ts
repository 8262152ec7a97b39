// AssemblyScript (compiled by ../scripts/build-wasm.mjs): float64 GEMM with f64x2 SIMD.
//
// c[m, n] += a[m, k] · b[k, n], all row-major, m and n multiples of 4 (the caller pads with zeros).
// B is given as stored ([k, n] rows) or, with TRANS_B, as its transpose bᵀ [n, k] (the Gram matrix
// a·aᵀ passes a itself). A KC x NC panel of B is packed into NC/4 column blocks of [KC][4]
// (256 KiB, in L2) and every 4-row block of A runs over it: a 4 x 4 register block of 8 f64x2
// accumulators, one C load and store per panel. Each c element is a sequential sum over p, in the
// order of the JavaScript kernel (matmul64.ts), so the two give the same bits. With LOWER only
// the blocks that touch j <= i are computed (half the flops of a symmetric product).

import { at } from './simd';

const KC: i32 = 256;
const NC: i32 = 128;
/** flags bit: b holds bᵀ, [n, k] row-major. */
const TRANS_B: i32 = 1;
/** flags bit: compute only the 4x4 blocks on or below the diagonal (c square). */
const LOWER: i32 = 2;

/** Packs the panel b[k0:k1, j0 : j0 + 4·nb] into nb blocks of [k1 − k0][4]. */
function pack(b: usize, out: usize, n: i32, k: i32, k0: i32, k1: i32, j0: i32, nb: i32, trans: bool): void {
  const kc = k1 - k0;
  for (let q = 0; q < nb; q++) {
    const dst = out + <usize>(q * kc * 32);
    const j = j0 + q * 4;
    for (let p = k0; p < k1; p++) {
      const d = dst + <usize>((p - k0) * 32);
      if (trans) {
        store<f64>(d, load<f64>(at(b, j * k + p)));
        store<f64>(d, load<f64>(at(b, (j + 1) * k + p)), 8);
        store<f64>(d, load<f64>(at(b, (j + 2) * k + p)), 16);
        store<f64>(d, load<f64>(at(b, (j + 3) * k + p)), 24);
      } else {
        const src = at(b, p * n + j);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
      }
    }
  }
}

/** c[i:i+4, j:j+4] += a[i:i+4, k0:k1] · (packed block at bp). */
function block(a: usize, c: usize, bp: usize, i: i32, j: i32, n: i32, k: i32, k0: i32, k1: i32): void {
  const a0 = at(a, i * k);
  const a1 = at(a0, k);
  const a2 = at(a1, k);
  const a3 = at(a2, k);
  const cp = at(c, i * n + j);
  const rs = (<usize>n) << 3;
  let c00 = v128.load(cp);
  let c01 = v128.load(cp, 16);
  let c10 = v128.load(cp + rs);
  let c11 = v128.load(cp + rs, 16);
  let c20 = v128.load(cp + 2 * rs);
  let c21 = v128.load(cp + 2 * rs, 16);
  let c30 = v128.load(cp + 3 * rs);
  let c31 = v128.load(cp + 3 * rs, 16);
  for (let p = k0; p < k1; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const o = (<usize>p) << 3;
    const x0 = f64x2.splat(load<f64>(a0 + o));
    const x1 = f64x2.splat(load<f64>(a1 + o));
    const x2 = f64x2.splat(load<f64>(a2 + o));
    const x3 = f64x2.splat(load<f64>(a3 + o));
    c00 = f64x2.add(c00, f64x2.mul(x0, b0));
    c01 = f64x2.add(c01, f64x2.mul(x0, b1));
    c10 = f64x2.add(c10, f64x2.mul(x1, b0));
    c11 = f64x2.add(c11, f64x2.mul(x1, b1));
    c20 = f64x2.add(c20, f64x2.mul(x2, b0));
    c21 = f64x2.add(c21, f64x2.mul(x2, b1));
    c30 = f64x2.add(c30, f64x2.mul(x3, b0));
    c31 = f64x2.add(c31, f64x2.mul(x3, b1));
    bp += 32;
  }
  v128.store(cp, c00);
  v128.store(cp, c01, 16);
  v128.store(cp + rs, c10);
  v128.store(cp + rs, c11, 16);
  v128.store(cp + 2 * rs, c20);
  v128.store(cp + 2 * rs, c21, 16);
  v128.store(cp + 3 * rs, c30);
  v128.store(cp + 3 * rs, c31, 16);
}

/**
 * c += a · b (see the file comment). `work` is KC·NC float64 of scratch; `flags` is TRANS_B | LOWER.
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, work: usize, flags: i32): void {
  const trans = (flags & TRANS_B) !== 0;
  const lower = (flags & LOWER) !== 0;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nb = (min(n, j0 + NC) - j0) >> 2;
    for (let k0 = 0; k0 < k; k0 += KC) {
      const k1 = min(k, k0 + KC);
      const kc = k1 - k0;
      pack(b, work, n, k, k0, k1, j0, nb, trans);
      for (let i = lower ? j0 : 0; i < m; i += 4) {
        const qEnd = lower ? min(nb, ((i - j0) >> 2) + 1) : nb;
        for (let q = 0; q < qEnd; q++) block(a, c, work + <usize>(q * kc * 32), i, j0 + q * 4, n, k, k0, k1);
      }
    }
  }
}
