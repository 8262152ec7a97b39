import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { batches, type Dataset } from '@tnzip/data';
import { type LoadedModel, load, type Module, roundToStorage, type SaveMeta, save } from '@tnzip/layers';
import { type EvalResult, evaluate } from '@tnzip/train';
import { FileError } from './exit-codes.js';
import { type Latency, measureLatency, measurePairLatency } from './latency.js';
import { layerRows, type ModelResult } from './results.js';
import { dirBytes, exists } from './run-dir.js';

/**
 * The model directory named by `p`: `p` itself when it holds `model.json`, else `p/model` (a run
 * directory).
 *
 * @throws FileError when neither holds a model.json.
 */
export async function resolveModelDir(p: string): Promise<string> {
  if (await exists(path.join(p, 'model.json'))) return p;
  if (await exists(path.join(p, 'model', 'model.json'))) return path.join(p, 'model');
  if (!(await exists(p))) throw new FileError(`'${p}' does not exist (expected a run directory or a model directory)`);
  throw new FileError(`'${p}' holds no model.json (expected a run directory with model/, or a model directory)`);
}

/** What the CLI stores in model.json's `meta`. */
export interface ModelMeta {
  readonly model?: string;
  readonly dataset?: string;
  readonly numClasses?: number;
  readonly testAcc?: number;
}

/** Loads a model directory (TnzipError CORRUPT_FILE / NOT_FOUND name the bad file). */
export async function loadModelDir(dir: string): Promise<LoadedModel & { meta: ModelMeta }> {
  const loaded = await load(dir);
  return loaded as LoadedModel & { meta: ModelMeta };
}

/**
 * Saves `model` to `dir` (model.json + weights.bin, each written to a temp name and renamed).
 * With `meta.storage: 'uint8'` the model is first rounded in place to its stored values
 * (`roundToStorage`), so whatever is measured of it afterwards is the saved model's.
 */
export async function saveModelDir(model: Module, dir: string, meta: SaveMeta): Promise<void> {
  if (meta.storage !== undefined) roundToStorage(model, meta.storage);
  await save(model, dir, meta);
}

/** Test-set evaluation with the dataset's normalization. */
export function testEval(model: Module, ds: Dataset): Promise<EvalResult> {
  return evaluate(model, ds.test, { batchSize: 500, normalize: ds.normalization, name: `${ds.name} test split` });
}

/**
 * Everything measured of a saved model: test accuracy, params, MACs, bytes on disk, latency
 * (optional) and per-layer rows. `dir` is stored relative to `base`.
 */
export async function measureModel(
  model: Module,
  dir: string,
  base: string,
  ds: Dataset,
  withLatency: boolean,
): Promise<ModelResult> {
  const ev = await testEval(model, ds);
  const rows = layerRows(model, ds.inputShape);
  const latency: Latency | null = withLatency ? await measureLatency(model, ds.inputShape) : null;
  return {
    dir: path.relative(base, dir) || '.',
    testAcc: ev.top1,
    testTop5: ev.top5,
    testLoss: ev.loss,
    testCount: ev.count,
    params: rows.params,
    macs: rows.macs,
    bytes: await dirBytes(dir),
    latency,
    layers: rows.rows,
  };
}

/** A calibration batch for data-driven rank selectors: the first `n` training images, normalized. */
export function calibrationBatch(ds: Dataset, n = 256): { x: tf.Tensor; y: tf.Tensor1D; numClasses: number } {
  const it = batches(ds.train, { batchSize: Math.min(n, ds.train.count), shuffle: false, normalize: ds.normalization });
  const first = it.next();
  it.return(undefined);
  if (first.done === true) throw new FileError('the training split is empty');
  return { x: first.value.x, y: first.value.y, numClasses: ds.numClasses };
}

/**
 * Latency of `compressed` against its dense parent saved in `denseDir` (loaded afresh, disposed
 * after), both timed interleaved at batch 1 and 64 ({@link measurePairLatency}).
 */
export async function latencyAgainstParent(
  denseDir: string,
  compressed: Module,
  inputShape: readonly number[],
): Promise<{ dense: Latency; compressed: Latency }> {
  const parent = await loadModelDir(denseDir);
  try {
    return await measurePairLatency(parent.model, compressed, inputShape);
  } finally {
    parent.model.dispose();
  }
}
