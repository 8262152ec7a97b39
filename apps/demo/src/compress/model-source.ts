import type * as tf from '@tensorflow/tfjs-core';
import { importLayersModel, load, type Module } from '@tnzip/layers';
import type { ModelSource } from './protocol.js';

/** A freshly built dense model (the caller owns and disposes it), its input shape and the activation its export appends. */
export interface FreshModel {
  readonly model: Module;
  readonly inputShape: readonly number[];
  readonly outputActivation: 'none' | 'softmax';
}

/**
 * Builds a new copy of the dense model of `source`: a dropped LayersModel through `importLayersModel`
 * (tfjs-core io only), a bundled tnzip model through `load` of its directory URL. Factorizing replaces
 * layers in place, so every compression starts from a fresh copy. Bundled tnzip models return logits;
 * their export appends a softmax so stock tfjs users get probabilities, as a Keras classifier would.
 */
export async function freshModel(source: ModelSource): Promise<FreshModel> {
  if (source.kind === 'layers') {
    const a = source.artifacts;
    const imported = await importLayersModel({
      modelTopology: a.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: a.weightData,
    });
    return { model: imported.model, inputShape: imported.inputShape, outputActivation: imported.outputActivation };
  }
  const loaded = await load(source.url);
  return { model: loaded.model, inputShape: loaded.inputShape ?? [28, 28, 1], outputActivation: 'softmax' };
}
