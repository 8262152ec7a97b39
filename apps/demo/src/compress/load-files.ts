import * as tf from '@tensorflow/tfjs-core';
import type { PlainArtifacts } from './protocol.js';

/**
 * Reads a dropped / picked LayersModel — one `model.json` and the `.bin` shards its manifest names —
 * with tfjs' own `tf.io.browserFiles`, and joins the shards into one buffer that `postMessage` can
 * copy to the workers. Errors name what is missing (tfjs' messages name the shard files).
 */
export async function readLayersModelFiles(
  files: readonly File[],
): Promise<{ name: string; artifacts: PlainArtifacts }> {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length !== 1)
    throw new Error(
      `choose exactly one model.json with its .bin shards (got ${jsons.length} .json files among ${files.length})`,
    );
  const json = jsons[0] as File;
  const shards = files.filter((f) => f !== json);
  const handler = tf.io.browserFiles([json, ...shards]);
  if (handler.load === undefined) throw new Error('tf.io.browserFiles gave no load()');
  const a = await handler.load();
  if (a.modelTopology === undefined || a.modelTopology instanceof ArrayBuffer)
    throw new Error(`${json.name} holds no Keras model topology: is it a tfjs LayersModel (not a graph model)?`);
  const weightData = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
  return {
    name: json.name,
    artifacts: { modelTopology: a.modelTopology, weightSpecs: a.weightSpecs ?? [], weightData },
  };
}
