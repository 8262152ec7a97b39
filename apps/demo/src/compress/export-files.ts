import * as tf from '@tensorflow/tfjs-core';
import { exportLayersModel, type Module } from '@tnzip/layers';
import { WEIGHTS_FILE } from './protocol.js';

/** A tfjs LayersModel as the two files `tf.loadLayersModel` reads: `model.json` and its one weights shard. */
export interface LayersModelFiles {
  readonly modelJson: string;
  readonly weights: ArrayBuffer;
  readonly params: number;
  readonly exportedParams: number;
}

/**
 * Exports `model` with `exportLayersModel` (stock Keras layers only) and lays the artifacts out as
 * `tf.io.browserDownloads` would: a `model.json` whose manifest names one shard, {@link WEIGHTS_FILE}.
 */
export async function layersModelFiles(
  model: Module,
  inputShape: readonly number[],
  outputActivation: 'none' | 'softmax',
  name: string,
): Promise<LayersModelFiles> {
  const { artifacts, report } = await exportLayersModel(model, { inputShape, outputActivation, name });
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  const json = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'tnzip',
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
  };
  return { modelJson: JSON.stringify(json), weights, params: report.params, exportedParams: report.exportedParams };
}
