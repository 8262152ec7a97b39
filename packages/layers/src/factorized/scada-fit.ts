import * as tf from '@tensorflow/tfjs-core';
import { frobeniusNorm64, fromTf, matrixToTf, sharedTucker64, sizeOf, type Tensor64 } from '@tnzip/tensor';
import type { Conv2d } from '../layers/conv2d.js';
import type { Linear } from '../layers/linear.js';
import type { AdaTuckerLayer } from './ada-tucker.js';
import type { BuiltLayer } from './kind.js';
import { tf64 } from './params.js';
import { adaCoreShape } from './shared-core.js';

/** One SCADA layer's dense weight, reshaped (zero-padded) to its dims, in float64. */
function paddedWeight(dense: Conv2d | Linear, layer: AdaTuckerLayer): Tensor64 {
  const w = fromTf(dense.weight, `${dense.name}.weight`);
  const data = new Float64Array(sizeOf(layer.dims));
  data.set(w.data);
  return { shape: layer.dims, data };
}

/**
 * Initializes the layers of one SCADA group from their dense originals jointly: one shared core
 * fitted to every layer ({@link sharedTucker64}: each layer's HOSVD aligned with the group's core,
 * then alternating least squares), each layer's orthonormal factors and its scale. Built layer by
 * layer, the group would share the first layer's HOSVD core while the others keep their own
 * HOSVD factors, whose bases are unrelated to it: their least-squares scales come out near 0
 * and the network starts (and, at high compression, stays) at chance. Reads dense weights
 * synchronously; returns each layer's relative reconstruction error.
 */
export function fitScadaGroup(members: readonly BuiltLayer[]): number[] {
  const layers = members.map((m) => m.layer as AdaTuckerLayer);
  const owner = layers[0] as AdaTuckerLayer;
  const xs = members.map((m, i) => paddedWeight(m.dense as Conv2d | Linear, layers[i] as AdaTuckerLayer));
  const fit = sharedTucker64(xs, owner.ranks);
  tf.tidy(() => {
    owner.core.assign(tf64(fit.core, adaCoreShape(owner.ranks)));
    layers.forEach((layer, l) => {
      (fit.factors[l] ?? []).forEach((f, i) => {
        (layer.factors[i] as tf.Variable).assign(matrixToTf(f));
      });
      const s = fit.scales[l] as number;
      layer.scale?.assign(tf.tensor1d([Math.sign(s) * frobeniusNorm64(xs[l] as Tensor64)]));
    });
  });
  return fit.errors;
}
