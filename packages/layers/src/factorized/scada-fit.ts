import * as tf from '@tensorflow/tfjs-core';
import { matrixToTf, sharedTucker64 } from '@tnzip/tensor';
import type { Conv2d } from '../layers/conv2d.js';
import type { Linear } from '../layers/linear.js';
import type { AdaTuckerLayer } from './ada-tucker.js';
import type { BuiltLayer } from './kind.js';
import { norm64, paddedWeight64, tf64 } from './params.js';
import { adaCoreShape } from './shared-core.js';

/**
 * Initializes the layers of one SCADA group from their dense originals jointly: one shared core
 * fitted to every layer ({@link sharedTucker64}: each layer's HOSVD aligned with the group's core,
 * then alternating least squares) and each layer's orthonormal factors; each layer's scale is the
 * least-squares one (`'decompose'`) or keeps its dense weight's Frobenius norm with the fit's sign
 * (`'decompose-norm'`). Built layer by
 * layer, the group would share the first layer's HOSVD core while the others kept their own
 * HOSVD factors, whose bases are unrelated to it: their least-squares scales came out near 0 and
 * the network started (and, at high compression, stayed) at chance. Reads dense weights synchronously.
 */
export function fitScadaGroup(members: readonly BuiltLayer[], init: 'decompose' | 'decompose-norm'): void {
  const layers = members.map((m) => m.layer as AdaTuckerLayer);
  const owner = layers[0] as AdaTuckerLayer;
  const xs = members.map((m, l) => {
    const dense = m.dense as Conv2d | Linear;
    return paddedWeight64(dense.weight, `${dense.name}.weight`, (layers[l] as AdaTuckerLayer).dims);
  });
  const fit = sharedTucker64(xs, owner.ranks);
  tf.tidy(() => {
    owner.core.assign(tf64(fit.core, adaCoreShape(owner.ranks)));
    layers.forEach((layer, l) => {
      (fit.factors[l] ?? []).forEach((f, i) => {
        (layer.factors[i] as tf.Variable).assign(matrixToTf(f));
      });
      const s = fit.scales[l] as number;
      const norm = norm64((xs[l] as (typeof xs)[number]).data);
      layer.scale?.assign(tf.tensor1d([init === 'decompose-norm' ? Math.sign(s) * norm : s]));
    });
  });
}
