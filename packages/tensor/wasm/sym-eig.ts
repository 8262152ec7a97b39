// AssemblyScript (compiled by ../scripts/build-wasm.mjs): the symmetric eigensolver of
// ../src/internal/sym-eig.ts (EISPACK tred2 + tql2 on the transposed working matrix, rows
// contiguous), line for line, with the inner row loops in f64x2: the Householder updates and the
// QL rotations. Element-wise loops give the JavaScript bits; the dot products sum in two lanes,
// which changes their rounding only (backward stable all the same).

import { at, axpy, dot, ld, st } from './simd';

/** Householder tridiagonalisation of w [n, n] (transposed V); d, e: length n. */
export function tred2(w: usize, d: usize, e: usize, n: i32): void {
  for (let j = 0; j < n; j++) st(d, j, ld(w, j * n + n - 1));
  for (let i = n - 1; i > 0; i--) {
    let scale: f64 = 0;
    let h: f64 = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(ld(d, k));
    if (scale === 0) {
      st(e, i, ld(d, i - 1));
      for (let j = 0; j < i; j++) {
        st(d, j, ld(w, j * n + i - 1));
        st(w, j * n + i, 0);
        st(w, i * n + j, 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        const v = ld(d, k) / scale;
        st(d, k, v);
        h += v * v;
      }
      let f = ld(d, i - 1);
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      st(e, i, scale * g);
      h -= f * g;
      st(d, i - 1, f - g);
      for (let j = 0; j < i; j++) st(e, j, 0);
      for (let j = 0; j < i; j++) {
        f = ld(d, j);
        st(w, i * n + j, f);
        const row = j * n;
        // g = e[j] + Σ_{k=j..i-1} w[row+k]·d[k]; e[k] += w[row+k]·f for k in j+1..i-1
        g = ld(e, j) + ld(w, row + j) * f + dot(at(w, row + j + 1), at(d, j + 1), i - 1 - j);
        axpy(f, at(w, row + j + 1), at(e, j + 1), i - 1 - j);
        st(e, j, g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const v = ld(e, j) / h;
        st(e, j, v);
        f += v * ld(d, j);
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) st(e, j, ld(e, j) - hh * ld(d, j));
      for (let j = 0; j < i; j++) {
        f = ld(d, j);
        g = ld(e, j);
        const row = j * n;
        // w[row+k] -= f·e[k] + g·d[k], k in j..i-1
        const vf = f64x2.splat(f);
        const vg = f64x2.splat(g);
        let k = j;
        for (; k + 2 <= i; k += 2) {
          const p = at(w, row + k);
          v128.store(
            p,
            f64x2.sub(v128.load(p), f64x2.add(f64x2.mul(vf, v128.load(at(e, k))), f64x2.mul(vg, v128.load(at(d, k))))),
          );
        }
        for (; k < i; k++) st(w, row + k, ld(w, row + k) - (f * ld(e, k) + g * ld(d, k)));
        st(d, j, ld(w, row + i - 1));
        st(w, row + i, 0);
      }
    }
    st(d, i, h);
  }
  for (let i = 0; i < n - 1; i++) {
    st(w, i * n + n - 1, ld(w, i * n + i));
    st(w, i * n + i, 1);
    const h = ld(d, i + 1);
    const r1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) st(d, k, ld(w, r1 + k) / h);
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        const g = dot(at(w, r1), at(w, row), i + 1);
        axpy(-g, d, at(w, row), i + 1);
      }
    }
    for (let k = 0; k <= i; k++) st(w, r1 + k, 0);
  }
  for (let j = 0; j < n; j++) {
    st(d, j, ld(w, j * n + n - 1));
    st(w, j * n + n - 1, 0);
  }
  st(w, (n - 1) * n + n - 1, 1);
  st(e, 0, 0);
}

/** sqrt(a² + b²) without overflow or underflow. */
function hypot(a: f64, b: f64): f64 {
  const r = Math.sqrt(a * a + b * b);
  if (r === Infinity || (r === 0 && (a !== 0 || b !== 0))) {
    const x = Math.abs(a),
      y = Math.abs(b);
    const big = max(x, y),
      small = min(x, y);
    if (big === 0) return 0;
    if (big === Infinity) return Infinity;
    const q = small / big;
    return big * Math.sqrt(1 + q * q);
  }
  return r;
}

/** Rows r0, r1 of w (length n): r1 ← s·r0 + c·r1, r0 ← c·r0 − s·r1. */
function rotate(w: usize, r0: i32, r1: i32, n: i32, c: f64, s: f64): void {
  const p0 = at(w, r0);
  const p1 = at(w, r1);
  const vc = f64x2.splat(c);
  const vs = f64x2.splat(s);
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const o = (<usize>k) << 3;
    const x = v128.load(p1 + o);
    const y = v128.load(p0 + o);
    v128.store(p1 + o, f64x2.add(f64x2.mul(vs, y), f64x2.mul(vc, x)));
    v128.store(p0 + o, f64x2.sub(f64x2.mul(vc, y), f64x2.mul(vs, x)));
  }
  for (; k < n; k++) {
    const x = ld(p1, k);
    const y = ld(p0, k);
    st(p1, k, s * y + c * x);
    st(p0, k, c * y - s * x);
  }
}

/** Implicit QL on (d, e), the rotations applied to the rows of w. */
export function tql2(w: usize, d: usize, e: usize, n: i32): void {
  for (let i = 1; i < n; i++) st(e, i - 1, ld(e, i));
  st(e, n - 1, 0);
  let f: f64 = 0;
  let tst1: f64 = 0;
  const eps: f64 = 2.220446049250313e-16;
  for (let l = 0; l < n; l++) {
    tst1 = max(tst1, Math.abs(ld(d, l)) + Math.abs(ld(e, l)));
    let m = l;
    while (m < n) {
      if (Math.abs(ld(e, m)) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        iter++;
        let g = ld(d, l);
        let p = (ld(d, l + 1) - g) / (2 * ld(e, l));
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        st(d, l, ld(e, l) / (p + r));
        st(d, l + 1, ld(e, l) * (p + r));
        const dl1 = ld(d, l + 1);
        let h = g - ld(d, l);
        for (let i = l + 2; i < n; i++) st(d, i, ld(d, i) - h);
        f += h;
        p = ld(d, m);
        let c: f64 = 1;
        let c2 = c;
        let c3 = c;
        const el1 = ld(e, l + 1);
        let s: f64 = 0;
        let s2: f64 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = ld(e, i);
          g = c * ei;
          h = c * p;
          r = hypot(p, ei);
          st(e, i + 1, s * r);
          s = ei / r;
          c = p / r;
          const di = ld(d, i);
          p = c * di - s * g;
          st(d, i + 1, h + s * (c * g + s * di));
          rotate(w, i * n, i * n + n, n, c, s);
        }
        p = (-s * s2 * c3 * el1 * ld(e, l)) / dl1;
        st(e, l, s * p);
        st(d, l, c * p);
        if (iter > 60) break;
      } while (Math.abs(ld(e, l)) > eps * tst1);
    }
    st(d, l, ld(d, l) + f);
    st(e, l, 0);
  }
}
