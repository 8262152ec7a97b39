import { TnzipError } from '@tnzip/tensor';
import { readModelJsonText } from './load.js';
import { MODEL_JSON, type ModelJson, modelJsonText, parseModelJson } from './model-json.js';
import { nodeFs, writeAtomic } from './node-fs.js';

/**
 * Replaces the `meta` of the model saved in directory `dir` (Node) by `update(meta)`, and
 * nothing else: model.json is read with the loader's checks (inside `dir`, size-capped, valid
 * UTF-8, a valid tnzip model.json), every other field is written back as read, and the file is
 * replaced atomically (temporary name + rename). weights.bin and its hash are untouched. Returns
 * the model.json written.
 *
 * @throws TnzipError NOT_FOUND / CORRUPT_FILE / UNSUPPORTED_VERSION as `load`; INVALID_ARGUMENT
 *   when `update` returns something other than a plain object; IO_ERROR when the file cannot be written
 */
export async function rewriteMeta(
  dir: string,
  update: (meta: Readonly<Record<string, unknown>>) => Record<string, unknown>,
): Promise<ModelJson> {
  const fs = await nodeFs('rewriteMeta');
  const text = await readModelJsonText(fs, dir);
  const json = parseModelJson(text);
  const meta = update(json.meta);
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw new TnzipError('INVALID_ARGUMENT', 'rewriteMeta: update must return a plain object');
  const next = { ...(JSON.parse(text) as Record<string, unknown>), meta };
  try {
    await writeAtomic(fs, dir, MODEL_JSON, modelJsonText(next));
  } catch (e) {
    throw new TnzipError('IO_ERROR', `rewriteMeta: cannot write '${dir}/${MODEL_JSON}': ${(e as Error).message}`, {
      cause: e,
    });
  }
  return { ...json, meta };
}
