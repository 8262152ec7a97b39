import { afterEach, describe, expect, it } from 'vitest';
import { gemmAccumulate, gram64 } from '../matmul64.js';
import { Rng } from '../random.js';
import { svd64 } from '../svd.js';
import { symEig } from './sym-eig.js';
import { setWasmKernels, wasmKernels } from './wasm-kernels.js';

/** Runs `f` on the JavaScript kernels, then turns the wasm kernels back on. */
function onJs<T>(f: () => T): T {
  setWasmKernels(false);
  try {
    return f();
  } finally {
    setWasmKernels(true);
  }
}

function gemm(a: Float64Array, b: Float64Array, c0: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = Float64Array.from(c0);
  gemmAccumulate(a, b, c, m, k, n);
  return c;
}

const maxAbs = (x: Float64Array) => x.reduce((s, v) => Math.max(s, Math.abs(v)), 0);

afterEach(() => setWasmKernels(true));

describe('wasm kernels', () => {
  it('load in Node (WebAssembly SIMD128)', () => {
    expect(wasmKernels()).not.toBeNull();
  });

  it('GEMM gives the JavaScript kernel’s bits: odd shapes, padding, several KC and NC panels, reused memory', () => {
    const rng = new Rng(1);
    // Largest first, so the later, smaller products run on memory a larger one has written (stale padding).
    for (const [m, k, n] of [
      [67, 600, 301],
      [37, 255, 130],
      [33, 33, 33],
      [5, 2000, 7],
    ] as const) {
      const a = rng.normals(m * k);
      const b = rng.normals(k * n);
      const c = rng.normals(m * n);
      const fast = gemm(a, b, c, m, k, n);
      expect(Array.from(fast), `${m}x${k}x${n}`).toEqual(Array.from(onJs(() => gemm(a, b, c, m, k, n))));
    }
  });

  it('Gram matrix agrees with the JavaScript kernel to k·eps relative (only the summation order differs), exactly symmetric', () => {
    const rng = new Rng(2);
    for (const [m, k] of [
      [130, 700],
      [45, 999],
    ] as const) {
      const a = { rows: m, cols: k, data: rng.normals(m * k) };
      const g = gram64(a).data;
      const ref = onJs(() => gram64(a).data);
      const diff = g.map((v, i) => v - (ref[i] as number));
      expect(maxAbs(diff) / maxAbs(ref)).toBeLessThan(k * 2 ** -52);
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) expect(g[i * m + j]).toBe(g[j * m + i]);
    }
  });

  it('symmetric eigensolver agrees with the JavaScript one: eigenvalues to n·eps·‖a‖, residual and orthogonality at eps level', () => {
    const n = 96;
    const x = { rows: n, cols: 2 * n, data: new Rng(3).normals(2 * n * n) };
    const a = gram64(x).data;
    const fast = symEig(a, n);
    const ref = onJs(() => symEig(a, n));
    const scale = ref.values[0] as number;
    for (let j = 0; j < n; j++) {
      expect(Math.abs((fast.values[j] as number) - (ref.values[j] as number))).toBeLessThan(n * 2 ** -52 * scale);
      const q = fast.vectors.subarray(j * n, j * n + n);
      let res = 0;
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let c = 0; c < n; c++) s += (a[r * n + c] as number) * (q[c] as number);
        res = Math.max(res, Math.abs(s - (fast.values[j] as number) * (q[r] as number)));
      }
      expect(res).toBeLessThan(n * 2 ** -52 * scale * 10);
      for (let i = 0; i <= j; i++) {
        let d = 0;
        for (let c = 0; c < n; c++) d += (fast.vectors[i * n + c] as number) * (q[c] as number);
        expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(n * 2 ** -52 * 10);
      }
    }
  });

  it('an SVD large enough for every wasm kernel matches the JavaScript kernels’ singular values to eps·σ₁·√k', () => {
    const [m, n] = [72, 260];
    const a = { rows: m, cols: n, data: new Rng(4).normals(m * n) };
    const fast = svd64(a).s;
    const ref = onJs(() => svd64(a).s);
    const s1 = ref[0] as number;
    for (let j = 0; j < m; j++)
      expect(Math.abs((fast[j] as number) - (ref[j] as number))).toBeLessThan(2 ** -52 * s1 * Math.sqrt(n) * 10);
  });
});
