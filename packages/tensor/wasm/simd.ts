// AssemblyScript (compiled by ../scripts/build-wasm.mjs, not by tsc): float64 vector helpers on raw
// linear-memory pointers. Two lanes of f64x2; wasm SIMD128 has no fused multiply-add, so every
// product is rounded before it is added, as in the JavaScript kernels.

/** Address of element `i` of the float64 array at `p`. */
export function at(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

export function ld(p: usize, i: i32): f64 {
  return load<f64>(at(p, i));
}

export function st(p: usize, i: i32, v: f64): void {
  store<f64>(at(p, i), v);
}

/** Σ x[k]·y[k] for k < len: two running lane sums, added at the end, then the odd tail. */
export function dot(x: usize, y: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  let k = 0;
  for (; k + 2 <= len; k += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(at(x, k)), v128.load(at(y, k))));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < len; k++) s += ld(x, k) * ld(y, k);
  return s;
}

/** y[k] += a·x[k] for k < len. */
export function axpy(a: f64, x: usize, y: usize, len: i32): void {
  const va = f64x2.splat(a);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const p = at(y, k);
    v128.store(p, f64x2.add(v128.load(p), f64x2.mul(va, v128.load(at(x, k)))));
  }
  for (; k < len; k++) st(y, k, ld(y, k) + a * ld(x, k));
}
