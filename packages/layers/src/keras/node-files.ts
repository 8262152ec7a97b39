import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { MAX_MODEL_JSON_BYTES } from '../io/load.js';
import { makeDirectory } from '../io/make-directory.js';
import { nodeFs } from '../io/node-fs.js';
import { readContained } from '../io/read-contained.js';
import { manifestDataBytes } from './weights-manifest.js';

/** The JSON file of a tfjs model: Keras topology plus weights manifest. */
export const LAYERS_MODEL_JSON = 'model.json';

interface NodePath {
  readonly fs: Awaited<ReturnType<typeof nodeFs>>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
}

async function node(who: string): Promise<NodePath> {
  const fs = await nodeFs(who);
  return { fs, stat: (fs as unknown as { stat: NodePath['stat'] }).stat };
}

function ioError(who: string, path: string, e: unknown): TnzipError {
  const code = (e as { code?: string }).code;
  return new TnzipError(
    code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
    `${who}: cannot read '${path}': ${(e as Error).message}`,
    {
      cause: e,
    },
  );
}

/** `name` inside `dir`, read as untrusted input (`readContained`), errors naming `who`. */
async function contained(
  who: string,
  fs: Awaited<ReturnType<typeof nodeFs>>,
  dir: string,
  name: string,
  maxBytes: number,
): Promise<Uint8Array> {
  try {
    return await readContained(fs, dir, name, { maxBytes });
  } catch (e) {
    if (e instanceof TnzipError) throw new TnzipError(e.code, `${who}: ${e.message}`, { cause: e });
    throw ioError(who, `${dir}/${name}`, e);
  }
}

/** The `model.json` path for `path`, which names the file itself or the directory holding it. */
export async function layersModelJsonPath(path: string): Promise<string> {
  const { stat } = await node('readLayersModelFiles');
  try {
    return (await stat(path)).isDirectory() ? `${path.replace(/\/+$/, '')}/${LAYERS_MODEL_JSON}` : path;
  } catch (e) {
    throw ioError('readLayersModelFiles', path, e);
  }
}

/**
 * Reads a tfjs LayersModel from disk (Node only): `path` is its `model.json` or the directory
 * holding it; every shard named in the manifest is read from beside it. NOT_FOUND for a missing
 * file, CORRUPT_FILE for JSON that is not a LayersModel or a shard path leaving the directory.
 * The artifacts go to `importLayersModel`.
 */
export async function readLayersModelFiles(path: string): Promise<tf.io.ModelArtifacts> {
  const who = 'readLayersModelFiles';
  const { fs } = await node(who);
  const file = await layersModelJsonPath(path);
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  const name = file.slice(file.lastIndexOf('/') + 1);
  const text = new TextDecoder().decode(await contained(who, fs, dir, name, MAX_MODEL_JSON_BYTES));
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new TnzipError('CORRUPT_FILE', `${who}: '${file}' is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    json.modelTopology === undefined ||
    !Array.isArray(json.weightsManifest)
  )
    throw new TnzipError(
      'CORRUPT_FILE',
      `${who}: '${file}' is not a tfjs LayersModel (it needs modelTopology and weightsManifest)`,
    );
  if (json.format === 'graph-model')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${who}: '${file}' is a tfjs GraphModel; tnzip imports LayersModels (Keras layers)`,
    );
  const groups = json.weightsManifest as tf.io.WeightsManifestConfig;
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const g of groups) {
    if (g === null || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights))
      throw new TnzipError('CORRUPT_FILE', `${who}: '${file}': every weightsManifest group needs paths and weights`);
    specs.push(...g.weights);
  }
  // No shard can hold more than the whole manifest describes: checked before a shard is read.
  const maxBytes = manifestDataBytes(specs);
  const shards: ArrayBuffer[] = [];
  for (const p of groups.flatMap((g) => g.paths)) {
    if (typeof p !== 'string' || p.startsWith('/') || p.split('/').includes('..'))
      throw new TnzipError(
        'CORRUPT_FILE',
        `${who}: '${file}': shard path ${JSON.stringify(p)} must stay inside the model's directory`,
      );
    const buf = await contained(who, fs, dir, p, maxBytes);
    shards.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: shards,
    format: typeof json.format === 'string' ? json.format : 'layers-model',
  };
}

/**
 * Writes LayersModel artifacts as `dir/model.json` + `dir/group1-shard1of1.bin` (Node only; the
 * layout `tf.loadLayersModel('file://…')` and `tf.io.http` read). Each file goes to a temporary
 * name and is renamed, weights first, so a reader never sees a half-written model.
 */
export async function writeLayersModelFiles(dir: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const { fs } = await node('writeLayersModelFiles');
  const bin = 'group1-shard1of1.bin';
  const data = artifacts.weightData;
  const bytes = new Uint8Array(
    data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? joinAll(data) : (data as ArrayBuffer),
  );
  const json = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? '@tnzip/layers',
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [bin], weights: artifacts.weightSpecs ?? [] }],
  };
  try {
    await makeDirectory(dir); // not fs.mkdir recursive: that spins forever on procfs
    const suffix = `.tmp-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    const write = async (name: string, content: string | Uint8Array): Promise<void> => {
      await fs.writeFile(`${dir}/${name}${suffix}`, content);
      await fs.rename(`${dir}/${name}${suffix}`, `${dir}/${name}`);
    };
    await write(bin, bytes);
    await write(LAYERS_MODEL_JSON, `${JSON.stringify(json)}\n`);
  } catch (e) {
    throw new TnzipError('IO_ERROR', `writeLayersModelFiles: cannot write to '${dir}': ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function joinAll(parts: readonly ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}
