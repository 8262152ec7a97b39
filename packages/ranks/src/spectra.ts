import { leftSingular64, type Matrix64, transpose64 } from '@tnzip/tensor';
import type { LayerSpace } from './layer-space.js';

/**
 * All `min(rows, cols)` singular values of `m`, descending. Computed on the short side (Gram
 * eigenvalues, float64): accurate to ≈ eps·σ₁²/σ_j, ample for rank decisions.
 */
export function singularValues(m: Matrix64): Float64Array {
  const a = m.rows <= m.cols ? m : transpose64(m);
  return leftSingular64(a, a.rows).s;
}

/*
 * Spectra are cached per weight buffer: tfjs gives a variable a new `dataId` on every assign, so
 * a key on the dataId object can never serve stale values, and the WeakMap lets it go with the
 * buffer. Selecting for several budgets (a sweep) then pays for the SVDs once.
 */
const cache = new WeakMap<object, Map<string, Float64Array[]>>();

/**
 * The singular values behind each rank of `space`: `spectra[i]` has `space.bounds[i]` entries,
 * the singular values of `space.unfolding(i)`, descending. Cached per weight value and reshape
 * (callers must not modify the arrays).
 */
export function layerSpectra(space: LayerSpace): Float64Array[] {
  const id = space.layer.weight.dataId as object;
  let byKey = cache.get(id);
  if (byKey === undefined) {
    byKey = new Map();
    cache.set(id, byKey);
  }
  let hit = byKey.get(space.key);
  if (hit === undefined) {
    hit = space.bounds.map((_, i) => singularValues(space.unfolding(i)));
    byKey.set(space.key, hit);
  }
  return hit;
}
