import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError, TnzipError } from '@tnzip/tensor';
import { linkSharedCores } from '../factorized/shared-core.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { createModule } from '../registry.js';
import { builtinKindCount } from './builtin-kinds.js';
import { registerBuiltinParamShapes } from './builtin-param-shapes.js';
import { MODEL_JSON, type ModelJson, manifestBytes, parseModelJson, sha256Hex } from './model-json.js';
import { inNode, type NodeFs, nodeFs } from './node-fs.js';
import { architectureShapes } from './param-shapes.js';
import { readContained } from './read-contained.js';
import { storedVariables } from './state.js';

/**
 * Buffers derived from the parameters (ADA-Tucker's dense weight cache) may hold at most this
 * many float32 elements per stored element, or {@link DERIVED_FLOOR} elements, whichever is more.
 */
export const DERIVED_FACTOR = 256;
/** 2^27 float32 elements (512 MiB): the derived-buffer allowance of a tiny model. */
export const DERIVED_FLOOR = 2 ** 27;

/** What {@link load} returns. */
export interface LoadedModel {
  readonly model: Module;
  readonly plan: FactorizationPlan | null;
  readonly inputShape: readonly number[] | null;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly json: ModelJson;
}

/**
 * Loads a model saved by `save`. `source`: a directory path (Node), a URL of the directory
 * (fetch; `http(s)://…`, or any string in a browser), or a tfjs `IOHandler`.
 *
 * Every layer kind in the architecture must be registered (importing `@tnzip/layers` registers
 * the built-in ones). uint8-quantized weights (format version 2) are dequantized as
 * `tf.io.decodeWeights` does. Checks, in order: JSON and fields (CORRUPT_FILE), format version
 * (UNSUPPORTED_VERSION), weights size (truncated: CORRUPT_FILE) and SHA-256 (corrupted:
 * CORRUPT_FILE), the parameter shapes the architecture implies against the manifest, before
 * anything is built (CORRUPT_FILE: a file cannot make load allocate more than its weights.bin
 * implies, see README "Loading untrusted model files"), then the built architecture (CORRUPT_FILE, the layer's
 * own error as the cause), weight names and shapes (CORRUPT_FILE). Every error about the file is
 * CORRUPT_FILE, NOT_FOUND, IO_ERROR or UNSUPPORTED_VERSION. Nothing is assigned unless
 * everything checks out; on error no tensor is left behind.
 */
export async function load(source: string | tf.io.IOHandler): Promise<LoadedModel> {
  const { json, weights } = await readChecked(source);
  const specs = json.weightsManifest[0]?.weights ?? [];

  let model: Module;
  if (builtinKindCount() === 0) throw new TnzipError('NOT_FOUND', 'load: no built-in layer kinds are registered');
  const existing = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    // tidy: constructors leave their init tensors alive beside the variables (same data); they
    // are garbage here, and would double the memory until the weights are assigned.
    const built: { model: Module | null } = { model: null };
    tf.tidy(() => {
      built.model = createModule(json.architecture);
      linkSharedCores(built.model);
    });
    model = built.model as unknown as Module;
  } catch (e) {
    // The layers built before the one that failed are not reachable from here: dispose every
    // variable this construction registered.
    for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!existing.has(name)) v.dispose();
    // Whatever a layer rejects (negative sizes, bad ranks, duplicate names) is a fault of the file.
    const why = isTnzipError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new TnzipError('CORRUPT_FILE', `model.json: cannot rebuild the architecture: ${why}`, { cause: e });
  }
  try {
    const vars = new Map(storedVariables(model));
    const seen = new Set<string>();
    for (const s of specs) {
      const v = vars.get(s.name);
      if (v === undefined)
        throw new TnzipError('CORRUPT_FILE', `weights.bin holds '${s.name}', which the architecture does not have`);
      if (seen.has(s.name)) throw new TnzipError('CORRUPT_FILE', `weights.bin holds '${s.name}' twice`);
      seen.add(s.name);
      if (s.shape.length !== v.shape.length || s.shape.some((d, i) => d !== v.shape[i])) {
        throw new TnzipError(
          'CORRUPT_FILE',
          `model.json: weight '${s.name}' has shape [${s.shape.join(', ')}] in the file, the architecture expects [${v.shape.join(', ')}]`,
        );
      }
    }
    for (const name of vars.keys())
      if (!seen.has(name)) throw new TnzipError('CORRUPT_FILE', `weights.bin lacks '${name}'`);
    const decoded = tf.io.decodeWeights(weights, specs);
    try {
      for (const [name, v] of vars) v.assign(decoded[name] as tf.Tensor);
    } finally {
      tf.dispose(Object.values(decoded));
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, plan: json.plan, inputShape: json.inputShape, meta: json.meta, json };
}

/**
 * Compares the shapes the architecture would allocate (reported from its config, nothing built)
 * with the manifest, so that a model file cannot make load() allocate more than its weights.bin
 * implies: the stored variables must be exactly the manifest's, derived buffers are capped.
 */
function checkArchitecture(json: ModelJson, specs: readonly tf.io.WeightsManifestEntry[]): void {
  registerBuiltinParamShapes();
  const shapes = architectureShapes(json.architecture);
  if (shapes === null) return;
  const inFile = new Map<string, readonly number[]>();
  for (const s of specs) {
    if (inFile.has(s.name)) throw new TnzipError('CORRUPT_FILE', `model.json: the manifest lists '${s.name}' twice`);
    inFile.set(s.name, s.shape);
  }
  for (const [name, shape] of shapes.stored) {
    const got = inFile.get(name);
    if (got === undefined) throw new TnzipError('CORRUPT_FILE', `model.json: the manifest lacks '${name}'`);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
      throw new TnzipError(
        'CORRUPT_FILE',
        `model.json: weight '${name}' has shape [${got.join(', ')}] in the manifest, the architecture expects [${shape.join(', ')}]`,
      );
  }
  for (const name of inFile.keys())
    if (!shapes.stored.has(name))
      throw new TnzipError(
        'CORRUPT_FILE',
        `model.json: the manifest lists '${name}', which the architecture does not have`,
      );
  const storedElements = specs.reduce((a, s) => a + s.shape.reduce((p, d) => p * d, 1), 0);
  const limit = Math.max(DERIVED_FACTOR * storedElements, DERIVED_FLOOR);
  if (shapes.derivedElements > limit)
    throw new TnzipError(
      'CORRUPT_FILE',
      `model.json: the architecture derives ${shapes.derivedElements} cached elements from ${storedElements} stored ones (at most ${limit} allowed)`,
    );
}

/**
 * Every check {@link load} makes before building anything (file kinds and sizes, JSON fields,
 * SHA-256, the architecture's parameter shapes against the manifest), with the same errors, and
 * nothing built: lets a caller refuse a bad model file before starting work. Returns the parsed
 * `model.json`.
 */
export async function verifyModelFiles(source: string | tf.io.IOHandler): Promise<ModelJson> {
  return (await readChecked(source)).json;
}

async function readChecked(source: string | tf.io.IOHandler): Promise<{ json: ModelJson; weights: ArrayBuffer }> {
  const { raw, weights } = await readSource(source);
  const json = parseModelJson(raw);
  const specs = json.weightsManifest[0]?.weights ?? [];
  const expectedBytes = manifestBytes(specs);
  if (expectedBytes !== json.weightsByteLength) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `model.json: weightsByteLength ${json.weightsByteLength} disagrees with the manifest (${expectedBytes} bytes)`,
    );
  }
  if (weights.byteLength !== json.weightsByteLength) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `weights.bin has ${weights.byteLength} bytes, model.json expects ${json.weightsByteLength} (truncated or wrong file)`,
    );
  }
  const hash = await sha256Hex(weights);
  if (hash !== json.weightsSha256)
    throw new TnzipError(
      'CORRUPT_FILE',
      `weights.bin fails its SHA-256 check (got ${hash}, expected ${json.weightsSha256})`,
    );

  checkArchitecture(json, specs);
  return { json, weights };
}

async function readSource(source: string | tf.io.IOHandler): Promise<{ raw: unknown; weights: ArrayBuffer }> {
  if (typeof source !== 'string') {
    if (typeof source?.load !== 'function')
      throw new TnzipError(
        'INVALID_ARGUMENT',
        'load: source must be a directory path, a URL or a tfjs IOHandler with load()',
      );
    const art = await source.load();
    const wd = art.weightData;
    const weights = wd === undefined ? new ArrayBuffer(0) : Array.isArray(wd) ? concat(wd) : (wd as ArrayBuffer);
    return { raw: art.modelTopology, weights };
  }
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.startsWith('file://');
  if (isUrl || !inNode()) return readUrl(source);
  return readDirectory(source);
}

/** model.json holds an architecture and a manifest: 16 MiB is far above any real one. */
export const MAX_MODEL_JSON_BYTES = 16 * 2 ** 20;

/**
 * The text of `dir`'s model.json, read as untrusted input (contained in `dir`, at most
 * {@link MAX_MODEL_JSON_BYTES}, valid UTF-8). CORRUPT_FILE / NOT_FOUND / IO_ERROR as `readContained`.
 */
export async function readModelJsonText(fs: NodeFs, dir: string): Promise<string> {
  const bytes = await readContained(fs, dir, MODEL_JSON, { maxBytes: MAX_MODEL_JSON_BYTES });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new TnzipError('CORRUPT_FILE', 'model.json is not valid UTF-8', { cause: e });
  }
}

async function readDirectory(dir: string): Promise<{ raw: unknown; weights: ArrayBuffer }> {
  const fs = await nodeFs('load');
  const raw = parseModelJson(await readModelJsonText(fs, dir));
  const file = raw.weightsManifest[0]?.paths[0] as string;
  if (file.includes('/') || file.includes('\\') || file.startsWith('.') || file === '')
    throw new TnzipError('CORRUPT_FILE', `model.json: weights path '${file}' must be a plain file name`);
  const buf = await readContained(fs, dir, file, {
    maxBytes: raw.weightsByteLength,
    exactBytes: raw.weightsByteLength,
  });
  return { raw, weights: buf.buffer as ArrayBuffer };
}

async function readUrl(base: string): Promise<{ raw: unknown; weights: ArrayBuffer }> {
  const root = base.endsWith('/') ? base : `${base}/`;
  const get = async (url: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new TnzipError('IO_ERROR', `load: cannot fetch '${url}': ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok)
      throw new TnzipError(res.status === 404 ? 'NOT_FOUND' : 'IO_ERROR', `load: '${url}' answered HTTP ${res.status}`);
    return res;
  };
  const raw = parseModelJson(await (await get(`${root}${MODEL_JSON}`)).text());
  const file = raw.weightsManifest[0]?.paths[0] as string;
  return { raw, weights: await (await get(`${root}${encodeURI(file)}`)).arrayBuffer() };
}

function concat(parts: readonly ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}
