import { type Matrix64, TnzipError } from '@tnzip/tensor';
import { singularValues } from './spectra.js';

/** What {@link evbmf} estimates. */
export interface EvbmfResult {
  /** Number of singular values above the EVB threshold (may be 0: pure noise). */
  readonly rank: number;
  /** Estimated noise variance σ². */
  readonly sigma2: number;
  /** The threshold on singular values, `σ·sqrt(M·(1+τ̄)(1+α/τ̄))`. */
  readonly threshold: number;
}

const TAU_BAR_COEF = 2.5129;

/** τ(x) = ½(x − (1+α) + sqrt((x − (1+α))² − 4α)), for x > x̄. */
function tau(x: number, alpha: number): number {
  const b = x - (1 + alpha);
  return 0.5 * (b + Math.sqrt(Math.max(b * b - 4 * alpha, 0)));
}

/**
 * The EVB free energy as a function of σ² (Nakajima et al. 2013; the objective of the public VBMF
 * port, papers.md §4.1), for singular values `s` (length H = L here, so the residual and the
 * `(L − H) ln σ²` term vanish).
 */
function freeEnergy(sigma2: number, l: number, m: number, s2: Float64Array, residual: number, xBar: number): number {
  const alpha = l / m;
  let obj = 0;
  for (let h = 0; h < s2.length; h++) {
    // A zero singular value would make ln x = −∞ in both terms alike; the floor keeps the sum finite.
    const x = Math.max(s2[h] as number, Number.MIN_VALUE) / (m * sigma2);
    if (x <= xBar) {
      obj += x - Math.log(x);
    } else {
      const t = tau(x, alpha);
      obj += x - t + Math.log((t + 1) / x) + alpha * Math.log(t / alpha + 1);
    }
  }
  return obj + residual / (m * sigma2) + (l - s2.length) * Math.log(sigma2);
}

/**
 * Brent's bounded scalar minimization (golden section + parabolic steps) — the method of scipy's
 * `minimize_scalar(method='Bounded')` that the reference code calls — on `[a, b]` with absolute
 * tolerance `xatol`.
 */
export function minimizeBounded(
  f: (x: number) => number,
  lower: number,
  upper: number,
  xatol: number,
  maxIter = 500,
): number {
  const sqrtEps = Math.sqrt(2.2e-16);
  const golden = 0.5 * (3 - Math.sqrt(5));
  let a = lower;
  let b = upper;
  let fulc = a + golden * (b - a);
  let nfc = fulc;
  let xf = fulc;
  let rat = 0;
  let e = 0;
  let fx = f(xf);
  let ffulc = fx;
  let fnfc = fx;
  let xm = 0.5 * (a + b);
  let tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
  let tol2 = 2 * tol1;
  for (let it = 0; it < maxIter && Math.abs(xf - xm) > tol2 - 0.5 * (b - a); it++) {
    let useGolden = true;
    if (Math.abs(e) > tol1) {
      useGolden = false;
      let r = (xf - nfc) * (fx - ffulc);
      let q = (xf - fulc) * (fx - fnfc);
      let p = (xf - fulc) * q - (xf - nfc) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      r = e;
      e = rat;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (a - xf) && p < q * (b - xf)) {
        rat = p / q;
        const x = xf + rat;
        if (x - a < tol2 || b - x < tol2) rat = xm - xf >= 0 ? tol1 : -tol1;
      } else {
        useGolden = true;
      }
    }
    if (useGolden) {
      e = xf >= xm ? a - xf : b - xf;
      rat = golden * e;
    }
    const si = rat >= 0 ? 1 : -1;
    const x = xf + si * Math.max(Math.abs(rat), tol1);
    const fu = f(x);
    if (fu <= fx) {
      if (x >= xf) a = xf;
      else b = xf;
      fulc = nfc;
      ffulc = fnfc;
      nfc = xf;
      fnfc = fx;
      xf = x;
      fx = fu;
    } else {
      if (x < xf) a = x;
      else b = x;
      if (fu <= fnfc || nfc === xf) {
        fulc = nfc;
        ffulc = fnfc;
        nfc = x;
        fnfc = fu;
      } else if (fu <= ffulc || fulc === xf || fulc === nfc) {
        fulc = x;
        ffulc = fu;
      }
    }
    xm = 0.5 * (a + b);
    tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
    tol2 = 2 * tol1;
  }
  return xf;
}

/**
 * EVBMF from the singular values `s` (descending, all `L = min(rows, cols)` of them) of an
 * `L × M` matrix (`L ≤ M`). See {@link evbmf}.
 */
export function evbmfFromSingularValues(s: Float64Array, l: number, m: number): EvbmfResult {
  if (!(Number.isInteger(l) && Number.isInteger(m) && l >= 1 && l <= m && s.length === l)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `evbmf: need L <= M and L singular values, got L = ${l}, M = ${m}, ${s.length} values`,
    );
  }
  const h = l;
  const alpha = l / m;
  const tauBar = TAU_BAR_COEF * Math.sqrt(alpha);
  const xBar = (1 + tauBar) * (1 + alpha / tauBar);
  const s2 = Float64Array.from(s, (v) => v * v);
  const total = s2.reduce((a, v) => a + v, 0);
  if (!(total > 0)) return { rank: 0, sigma2: 0, threshold: 0 };
  const residual = 0;
  // H̄ = min(⌈L/(1+α)⌉ − 1, H) − 1 (0-based, as in the reference code), clamped to the spectrum.
  const eH = Math.min(Math.min(Math.ceil(l / (1 + alpha)) - 1, h) - 1, h - 2);
  const tail = s2.subarray(eH + 1);
  const tailMean = tail.reduce((a, v) => a + v, 0) / tail.length;
  const upper = (total + residual) / (l * m);
  const lower = Math.min(Math.max((tail[0] as number) / (m * xBar), tailMean / m), upper);
  // The reference minimizes with scipy's absolute xatol = 1e-5, far too coarse for small weights
  // (σ² ≈ 1e-4); a tolerance relative to the bracket gives the same minimizer at any scale.
  const sigma2 =
    lower >= upper
      ? upper
      : minimizeBounded((v) => freeEnergy(v, l, m, s2, residual, xBar), lower, upper, 1e-10 * upper);
  const threshold = Math.sqrt(m * sigma2 * (1 + tauBar) * (1 + alpha / tauBar));
  let rank = 0;
  for (let i = 0; i < l; i++) if ((s[i] as number) > threshold) rank++;
  return { rank, sigma2, threshold };
}

/**
 * Empirical variational Bayesian matrix factorization (Nakajima, Sugiyama, Babacan, Tomioka,
 * JMLR 2013), as used for rank selection by Kim et al. (ICLR 2016) through the public VBMF port
 * (papers.md §4.1). For `Y` `L × M` (transposed first when taller than wide, so `L ≤ M`),
 * α = L/M, singular values γ_h:
 *
 * - τ̄ = 2.5129·√α, x̄ = (1+τ̄)(1+α/τ̄);
 * - σ² minimizes the EVB free energy
 *   `Σ_{x_h ≤ x̄}(x_h − ln x_h) + Σ_{x_h > x̄}(x_h − τ(x_h) + ln((τ+1)/x_h) + α ln(τ/α + 1))`,
 *   `x_h = γ_h²/(Mσ²)`, over `[max(γ_{H̄+1}²/(M x̄), mean_{h>H̄} γ_h²/M), Σγ_h²/(LM)]`
 *   (Brent's bounded method);
 * - rank = #{h : γ_h > σ·sqrt(M(1+τ̄)(1+α/τ̄))}.
 *
 * @param matrix any finite non-empty matrix (float64)
 * @returns the rank (0 when nothing rises above the noise), σ², and the threshold on γ
 * @throws TnzipError SHAPE_MISMATCH (empty), NON_FINITE
 */
export function evbmf(matrix: Matrix64): EvbmfResult {
  const s = singularValues(matrix);
  return evbmfFromSingularValues(s, Math.min(matrix.rows, matrix.cols), Math.max(matrix.rows, matrix.cols));
}
