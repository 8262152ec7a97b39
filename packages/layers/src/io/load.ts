import * as tf from '@tensorflow/tfjs-core';
import { isTnzipError, TnzipError } from '@tnzip/tensor';
import { linkSharedCores } from '../factorized/shared-core.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { createModule } from '../registry.js';
import { builtinKindCount } from './builtin-kinds.js';
import { MODEL_JSON, type ModelJson, parseModelJson, sha256Hex } from './model-json.js';
import { inNode, nodeFs } from './node-fs.js';
import { storedVariables } from './state.js';

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
 * the built-in ones). Checks, in order: JSON and fields (CORRUPT_FILE), format version
 * (UNSUPPORTED_VERSION), weights size (truncated: CORRUPT_FILE) and SHA-256 (corrupted:
 * CORRUPT_FILE), the architecture (CORRUPT_FILE / the layers' own errors), weight names
 * (missing or unknown: CORRUPT_FILE) and shapes (SHAPE_MISMATCH). Nothing is assigned unless
 * everything checks out; on error no tensor is left behind.
 */
export async function load(source: string | tf.io.IOHandler): Promise<LoadedModel> {
  const { raw, weights } = await readSource(source);
  const json = parseModelJson(raw);
  const specs = json.weightsManifest[0]?.weights ?? [];
  const expectedBytes = specs.reduce((a, s) => a + 4 * s.shape.reduce((p, d) => p * d, 1), 0);
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

  let model: Module;
  if (builtinKindCount() === 0) throw new TnzipError('NOT_FOUND', 'load: no built-in layer kinds are registered');
  try {
    model = createModule(json.architecture);
    linkSharedCores(model);
  } catch (e) {
    if (isTnzipError(e)) throw e;
    throw new TnzipError('CORRUPT_FILE', `model.json: cannot rebuild the architecture: ${(e as Error).message}`, {
      cause: e,
    });
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
          'SHAPE_MISMATCH',
          `weight '${s.name}' has shape [${s.shape.join(', ')}] in the file, the architecture expects [${v.shape.join(', ')}]`,
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

async function readDirectory(dir: string): Promise<{ raw: unknown; weights: ArrayBuffer }> {
  const fs = await nodeFs('load');
  let text: string;
  try {
    text = await fs.readFile(`${dir}/${MODEL_JSON}`, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new TnzipError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      `load: cannot read '${dir}/${MODEL_JSON}': ${(e as Error).message}`,
      { cause: e },
    );
  }
  const raw = parseModelJson(text);
  const file = raw.weightsManifest[0]?.paths[0] as string;
  if (file.includes('/') || file.includes('\\') || file.startsWith('.'))
    throw new TnzipError('CORRUPT_FILE', `model.json: weights path '${file}' must be a plain file name`);
  try {
    const buf = await fs.readFile(`${dir}/${file}`);
    return { raw, weights: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer };
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new TnzipError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      `load: cannot read '${dir}/${file}': ${(e as Error).message}`,
      { cause: e },
    );
  }
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
