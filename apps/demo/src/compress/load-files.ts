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
  const named = shardNames(await json.text(), json.name);
  // tfjs reads a model.json given without its shards as a model with no weights: name them here.
  const missing = named.filter((n) => !files.some((f) => f.name === n));
  if (missing.length > 0)
    throw new Error(`${json.name} needs ${missing.join(', ')}: choose or drop them together with ${json.name}`);
  const shards = files.filter((f) => named.includes(f.name));
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

/** Base names of the weight files a `model.json` text names, in manifest order. */
export function shardNames(text: string, file = 'model.json'): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const manifest = (parsed as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new Error(`${file} has no weightsManifest: is it a tfjs model.json?`);
  return manifest.flatMap((g: { paths?: unknown }) =>
    Array.isArray(g.paths) ? g.paths.map((p) => String(p).split('/').pop() ?? String(p)) : [],
  );
}
