import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { quantizeWeights } from '../keras/quantize.js';
import type { Module } from '../module.js';
import { makeDirectory } from './make-directory.js';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  MODEL_JSON,
  type ModelJson,
  modelJsonText,
  type SaveMeta,
  sha256Hex,
  WEIGHTS_BIN,
} from './model-json.js';
import { nodeFs, writeAtomic } from './node-fs.js';
import { storedVariables } from './state.js';
import { checkStorage } from './storage.js';

/**
 * Saves `model` as `model.json` + `weights.bin` (see {@link ModelJson}).
 *
 * - `target` a string: a directory (Node only; created if needed). Each file is written to a
 *   temporary name and renamed, so a reader never sees a half-written file.
 * - `target` a tfjs `IOHandler` (browser downloads, IndexedDB, `tf.io.withSaveHandler`): it
 *   receives `modelTopology` = the model.json object, `weightSpecs` and `weightData`.
 *
 * Weights are float32, bit-exact (format version 1), or with `meta.storage: 'uint8'` quantized per
 * tensor by {@link quantizeWeights} into tfjs's quantized manifest (format version 2; weights.bin
 * is `storageBytes(model, 'uint8')` long, a quarter of float32; every value within scale / 2 of the
 * original). Returns the model.json written.
 */
export async function save(model: Module, target: string | tf.io.IOHandler, meta: SaveMeta = {}): Promise<ModelJson> {
  const encoded = await encode(model, meta);
  if (typeof target === 'string') {
    await writeDirectory(target, encoded.json, encoded.bytes);
  } else {
    if (typeof target?.save !== 'function')
      throw new TnzipError('INVALID_ARGUMENT', 'save: target must be a directory path or a tfjs IOHandler with save()');
    await target.save(artifactsOf(encoded));
  }
  return encoded.json;
}

/**
 * The model files in memory, as the tfjs `ModelArtifacts` that {@link save} hands an `IOHandler`:
 * `modelTopology` is the model.json object, `weightData` the weights.bin bytes. `load(tf.io.fromMemory(a))`
 * rebuilds the model (e.g. in a worker thread) with every check that loading files does.
 */
export async function saveToMemory(model: Module, meta: SaveMeta = {}): Promise<tf.io.ModelArtifacts> {
  return artifactsOf(await encode(model, meta));
}

interface Encoded {
  readonly json: ModelJson;
  readonly specs: tf.io.WeightsManifestEntry[];
  readonly bytes: ArrayBuffer;
}

async function encode(model: Module, meta: SaveMeta): Promise<Encoded> {
  const storage = checkStorage(meta.storage ?? 'float32', 'save: meta.storage');
  const vars = storedVariables(model);
  const encoded = await tf.io.encodeWeights(vars.map(([name, tensor]) => ({ name, tensor })));
  const { specs, data: bytes } =
    storage === 'uint8'
      ? quantizeWeights(encoded.specs, encoded.data, 'uint8')
      : { specs: encoded.specs, data: encoded.data as ArrayBuffer };
  const json: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: storage === 'uint8' ? MODEL_FORMAT_VERSION : 1,
    architecture: model.config(),
    plan: meta.plan ?? null,
    inputShape: meta.inputShape === undefined || meta.inputShape === null ? null : [...meta.inputShape],
    meta: meta.meta ?? {},
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
    weightsByteLength: bytes.byteLength,
    weightsSha256: await sha256Hex(bytes),
  };
  return { json, specs, bytes };
}

function artifactsOf({ json, specs, bytes }: Encoded): tf.io.ModelArtifacts {
  return {
    modelTopology: json as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: bytes,
    format: MODEL_FORMAT,
    generatedBy: '@tnzip/layers',
  };
}

async function writeDirectory(dir: string, json: ModelJson, bytes: ArrayBuffer): Promise<void> {
  const fs = await nodeFs('save');
  try {
    await makeDirectory(dir);
    const write = (name: string, content: string | Uint8Array): Promise<void> => writeAtomic(fs, dir, name, content);
    // Weights first: model.json, whose hash names the weights, appears only once they are complete.
    await write(WEIGHTS_BIN, new Uint8Array(bytes));
    await write(MODEL_JSON, modelJsonText(json));
  } catch (e) {
    throw new TnzipError('IO_ERROR', `save: cannot write model files to '${dir}': ${(e as Error).message}`, {
      cause: e,
    });
  }
}
