import type { Module } from '@tnzip/layers';
import { compressibleLayers, layerSpace, layerSpectra } from '@tnzip/ranks/internal';
import type { LayerInfo } from './protocol.js';

/** Singular values kept per unfolding for the plot (the largest ones; a LeNet-5 layer has at most 500). */
const MAX_VALUES = 512;

/**
 * The compressible layers (every Conv2d / Linear) of `model` on `inputShape`: kind, weight shape, dense
 * params and MACs, and the singular values behind each Tucker-2 / matrix rank (the spectra the energy,
 * VBMF and greedy selectors read; cached per weight by @tnzip/ranks, so the selectors reuse them).
 */
export function layerInfos(model: Module, inputShape: readonly number[]): LayerInfo[] {
  return compressibleLayers(model, inputShape).map((c) => {
    const space = layerSpace(c, { format: 'tucker2' });
    const spectra = layerSpectra(space).map((s, i) => ({
      mode: space.modes[i] ?? String(i),
      values: Array.from(s.subarray(0, MAX_VALUES)),
    }));
    return {
      path: c.path,
      kind: c.layer.kind,
      weightShape: [...c.layer.weight.shape],
      params: c.dense.params,
      macs: c.dense.macs,
      spectra,
    };
  });
}
