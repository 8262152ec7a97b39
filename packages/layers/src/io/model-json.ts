import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import type { ModuleConfig } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import type { StorageEncoding } from './storage.js';

/** The `format` tag of every tnzip `model.json`. */
export const MODEL_FORMAT = 'tnzip-model';
/**
 * The newest format version this build writes and reads. Version 1: float32 weights; version 2:
 * the same with uint8-quantized manifest entries (`quantization: { dtype: 'uint8', min, scale }`),
 * written only for quantized weights, so float32 files stay version 1 and older readers refuse a
 * quantized file with UNSUPPORTED_VERSION instead of misreading it.
 */
export const MODEL_FORMAT_VERSION = 2;
/** Every format version this build reads. */
export const MODEL_FORMAT_VERSIONS: readonly number[] = [1, 2];
/** File names inside a model directory. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * `model.json`: everything needed to rebuild a network and check its weights.
 *
 * - `architecture`: the root module's `config()` tree (rebuilt by `createModule`);
 * - `plan`: the factorization plan that produced it (null for a dense model);
 * - `inputShape`: one example's input shape (no batch axis), or null;
 * - `weightsManifest`: the tfjs manifest (`tf.io.encodeWeights` specs, one group, `weights.bin`),
 *   every entry named by its state-dict path (`'conv1.weight'`), float32 or (version 2) stored
 *   as uint8 with tfjs's per-tensor affine `quantization`;
 * - `weightsByteLength`, `weightsSha256`: size and SHA-256 (hex) of `weights.bin`.
 */
export interface ModelJson {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: number;
  readonly architecture: ModuleConfig;
  readonly plan: FactorizationPlan | null;
  readonly inputShape: readonly number[] | null;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly weightsManifest: tf.io.WeightsManifestConfig;
  readonly weightsByteLength: number;
  readonly weightsSha256: string;
}

/** What the caller may add when saving. */
export interface SaveMeta {
  readonly plan?: FactorizationPlan | null;
  readonly inputShape?: readonly number[] | null;
  /** Free JSON (dataset, accuracy, training run, …). */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** How weights.bin stores the weights (default `'float32'`, bit-exact; `'uint8'`: 4x smaller). */
  readonly storage?: StorageEncoding;
}

/** model.json's text as `save` writes it: one-space indentation, a final newline. */
export function modelJsonText(json: unknown): string {
  return `${JSON.stringify(json, null, 1)}\n`;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isShape = (v: unknown): boolean => Array.isArray(v) && v.every((d) => Number.isInteger(d) && (d as number) >= 0);

/**
 * Validates parsed `model.json` content. CORRUPT_FILE for a wrong `format` or a missing or
 * malformed field (named), UNSUPPORTED_VERSION for a format version other than
 * {@link MODEL_FORMAT_VERSION}.
 */
export function parseModelJson(raw: unknown): ModelJson {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      throw new TnzipError('CORRUPT_FILE', `model.json is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!isObj(v)) throw new TnzipError('CORRUPT_FILE', 'model.json must hold a JSON object');
  if (v.format !== MODEL_FORMAT)
    throw new TnzipError(
      'CORRUPT_FILE',
      `model.json: field 'format' must be '${MODEL_FORMAT}', got ${JSON.stringify(v.format)}`,
    );
  if (!('formatVersion' in v)) throw new TnzipError('CORRUPT_FILE', "model.json: missing field 'formatVersion'");
  if (!MODEL_FORMAT_VERSIONS.includes(v.formatVersion as number)) {
    throw new TnzipError(
      'UNSUPPORTED_VERSION',
      `model.json: formatVersion ${JSON.stringify(v.formatVersion)} is not supported (this build reads ${MODEL_FORMAT_VERSIONS.join(' and ')})`,
    );
  }
  const quantized = v.formatVersion !== 1;
  const need = (key: string, ok: (x: unknown) => boolean, what: string): void => {
    if (!(key in v)) throw new TnzipError('CORRUPT_FILE', `model.json: missing field '${key}'`);
    if (!ok(v[key])) throw new TnzipError('CORRUPT_FILE', `model.json: field '${key}' must be ${what}`);
  };
  need(
    'architecture',
    (a) => isObj(a) && typeof a.kind === 'string' && typeof a.name === 'string',
    'a module config { kind, name, … }',
  );
  need('plan', (p) => p === null || isObj(p), 'an object or null');
  need('inputShape', (s) => s === null || isShape(s), 'a list of integers or null');
  need('meta', isObj, 'an object');
  need(
    'weightsManifest',
    (m) =>
      Array.isArray(m) &&
      m.length === 1 &&
      isObj(m[0]) &&
      Array.isArray(m[0].paths) &&
      m[0].paths.length === 1 &&
      typeof m[0].paths[0] === 'string' &&
      Array.isArray(m[0].weights) &&
      m[0].weights.every(
        (w: unknown) =>
          isObj(w) &&
          typeof w.name === 'string' &&
          isShape(w.shape) &&
          w.dtype === 'float32' &&
          (w.quantization === undefined || (quantized && isUint8Quantization(w.quantization))),
      ),
    `one weights group [{ paths: ['${WEIGHTS_BIN}'], weights: [{ name, shape, dtype: 'float32'${quantized ? ", quantization?: { dtype: 'uint8', min, scale > 0 }" : ''} }] }]`,
  );
  need('weightsByteLength', (n) => Number.isInteger(n) && (n as number) >= 0, 'a non-negative integer');
  need('weightsSha256', (s) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s), 'a hex SHA-256');
  return v as unknown as ModelJson;
}

/** tfjs's uint8 affine quantization with finite `min` and a finite positive `scale`. */
function isUint8Quantization(q: unknown): boolean {
  return (
    isObj(q) &&
    q.dtype === 'uint8' &&
    typeof q.min === 'number' &&
    Number.isFinite(q.min) &&
    typeof q.scale === 'number' &&
    Number.isFinite(q.scale) &&
    q.scale > 0
  );
}

/** Bytes weights.bin holds for `specs`: 1 per uint8-quantized element, 4 per float32 one. */
export function manifestBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((a, s) => a + (s.quantization === undefined ? 4 : 1) * s.shape.reduce((p, d) => p * d, 1), 0);
}

/** SHA-256 of `data` as lowercase hex (WebCrypto: Node >= 20 and browsers). */
export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined)
    throw new TnzipError('BACKEND_UNAVAILABLE', 'globalThis.crypto.subtle (WebCrypto) is required to hash weights.bin');
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
