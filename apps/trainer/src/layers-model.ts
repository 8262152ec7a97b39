import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Normalization } from '@tnzip/data';
import { type ImportedModel, importLayersModel, readLayersModelFiles } from '@tnzip/layers';
import { isTnzipError } from '@tnzip/tensor';
import { FileError, UsageError } from './exit-codes.js';

/**
 * The `model.json` of a tfjs LayersModel named by `target` (the file, or a directory holding it),
 * or null when `target` is not one (a tnzip model or run directory, or nothing). A LayersModel is
 * told from a tnzip model.json by its `modelTopology`.
 */
export async function layersModelJson(target: string): Promise<string | null> {
  const file = target.endsWith('.json') ? target : path.join(target, 'model.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (target.endsWith('.json')) throw new FileError(`cannot read '${file}': ${(e as Error).message}`);
    return null;
  }
  try {
    const j = JSON.parse(text) as { modelTopology?: unknown; format?: unknown };
    if (j !== null && typeof j === 'object' && j.modelTopology !== undefined && j.format !== 'tnzip-model') return file;
  } catch (e) {
    if (target.endsWith('.json')) throw new FileError(`'${file}' is not JSON: ${(e as Error).message}`);
  }
  return null;
}

/**
 * Imports the LayersModel at `file` (model.json + its shards). A model tnzip cannot read (an
 * unsupported layer or option, a missing or corrupt shard, a topology that does not match the
 * manifest) is a file problem of the user's model: FileError (exit 3) with the library's message.
 */
export async function importLayersModelFile(file: string): Promise<ImportedModel> {
  try {
    return await importLayersModel(await readLayersModelFiles(file));
  } catch (e) {
    if (isTnzipError(e) && (e.code === 'INVALID_ARGUMENT' || e.code === 'SHAPE_MISMATCH'))
      throw new FileError(`'${file}': ${e.message}`);
    throw e;
  }
}

/** Help of `--input-normalization`. */
export const INPUT_NORMALIZATION_HELP =
  "how the model expects its inputs: a dataset name (its standard mean/std, the default), 'none' (pixels/255 in [0, 1]), 'raw' (pixels 0..255) or MEAN,STD on the [0, 1] scale";

/**
 * Parses `--input-normalization`: a dataset name → `standard[name]`, `none` → x/255,
 * `raw` → x, `MEAN,STD` → (x/255 − MEAN)/STD; absent → `fallback`.
 * @throws UsageError naming the flag and the accepted forms.
 */
export function parseInputNormalization(
  value: string | undefined,
  standard: Readonly<Record<string, Normalization>>,
  fallback: Normalization,
): Normalization {
  if (value === undefined) return fallback;
  const known = standard[value];
  if (known !== undefined) return known;
  if (value === 'none') return { mean: [0], std: [1] };
  if (value === 'raw') return { mean: [0], std: [1], scale: 1 };
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length === 2 && parts.every(Number.isFinite) && (parts[1] as number) > 0)
    return { mean: [parts[0] as number], std: [parts[1] as number] };
  throw new UsageError(
    `--input-normalization must be ${Object.keys(standard).join(', ')}, none, raw or MEAN,STD (STD > 0), got '${value}'`,
  );
}
