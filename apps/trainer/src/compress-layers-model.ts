import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@tnzip/data';
import {
  exportLayersModel,
  exportOnnxModel,
  formatExportReport,
  formatOnnxExportReport,
  type Module,
  writeLayersModelFiles,
  writeOnnxFile,
} from '@tnzip/layers';
import { choice, type FlagSpec, type FlagValues, str } from './args.js';
import { STANDARD_NORMALIZATION } from './commands/eval.js';
import { DATASET_NAMES } from './datasets.js';
import { UsageError } from './exit-codes.js';
import {
  INPUT_NORMALIZATION_HELP,
  importLayersModelFile,
  layersModelJson,
  parseInputNormalization,
} from './layers-model.js';
import { saveModelDir } from './model-files.js';
import { readJson } from './run-dir.js';

/** The flags `tnzip compress` gains for models brought from tfjs. */
export const LAYERS_MODEL_COMPRESS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'input-normalization': {
    type: 'string',
    value: 'SPEC',
    help: `--from a tfjs LayersModel: ${INPUT_NORMALIZATION_HELP}`,
  },
  export: {
    type: 'string',
    value: 'tfjs-layers|onnx',
    help: 'also write the compressed model to <run>/export/<format>/ (stock tfjs layers, or model.onnx)',
  },
};

const imported = new Map<string, string>();

/**
 * `--from` as a tnzip model directory: a tfjs LayersModel (`model.json` or its directory) is
 * imported once and saved as a tnzip model under `<out>/imported/<name>-<hash>/` (its meta
 * records the dataset, default mnist, and the input normalization); anything else is returned
 * as given. A LayersModel tnzip cannot read fails here (exit 3), before any run directory exists.
 */
export async function fromAsTnzipDir(from: string, v: FlagValues): Promise<string> {
  const file = await layersModelJson(from);
  if (file === null) {
    if (v['input-normalization'] !== undefined)
      throw new UsageError('--input-normalization applies to --from a tfjs LayersModel (model.json) only');
    return from;
  }
  const cached = imported.get(file);
  if (cached !== undefined) return cached;
  const dataset = choice(v, 'dataset', DATASET_NAMES, 'dataset') ?? 'mnist';
  const normalization = parseInputNormalization(
    str(v, 'input-normalization'),
    STANDARD_NORMALIZATION,
    STANDARD_NORMALIZATION[dataset] ?? { mean: [0], std: [1] },
  );
  // Flags are validated before the chosen backend starts (a wasm backend must not start before its
  // thread count is set): the import, a one-off copy of weights, runs on cpu when none is set yet.
  if ((tf.engine() as unknown as { backendName: string | null }).backendName == null) await tf.setBackend('cpu');
  const { model, inputShape, outputActivation } = await importLayersModelFile(file);
  const hash = createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 8);
  const dir = path.join(
    str(v, 'out') ?? 'runs',
    'imported',
    `${path.basename(path.dirname(path.resolve(file)))}-${hash}`,
  );
  try {
    await saveModelDir(model, dir, {
      inputShape,
      meta: {
        dataset,
        inputNormalization: normalization,
        source: path.resolve(file),
        format: 'tfjs-layers',
        outputActivation,
      },
    });
  } finally {
    model.dispose();
  }
  imported.set(file, dir);
  return dir;
}

/** `ds` with the input normalization recorded by {@link fromAsTnzipDir} in `fromDir`'s meta, if any. */
export async function withModelNormalization(ds: Dataset, fromDir: string | null): Promise<Dataset> {
  if (fromDir === null) return ds;
  const j = await readJson<{ meta?: { inputNormalization?: Dataset['normalization'] } }>(
    path.join(fromDir, 'model.json'),
    'model file',
  );
  const n = j.meta?.inputNormalization;
  return n === undefined ? ds : { ...ds, normalization: n };
}

/** Checks `--export` (usage error before any work). */
export function exportFormat(v: FlagValues): 'tfjs-layers' | 'onnx' | null {
  return choice(v, 'export', ['tfjs-layers', 'onnx'] as const, 'export format') ?? null;
}

/** With `--export tfjs-layers|onnx`: writes `<run>/export/<format>/` and returns its report line(s). */
export async function exportRun(
  v: FlagValues,
  model: Module,
  runDir: string,
  inputShape: readonly number[],
): Promise<string | null> {
  const format = exportFormat(v);
  if (format === null) return null;
  if (format === 'onnx') {
    const { bytes, report } = await exportOnnxModel(model, { inputShape });
    const file = await writeOnnxFile(path.join(runDir, 'export', 'onnx'), bytes);
    return `exported to ${file} (ONNX)\n${formatOnnxExportReport(report)}`;
  }
  const { artifacts, report } = await exportLayersModel(model, { inputShape });
  const out = path.join(runDir, 'export', 'tfjs-layers');
  await writeLayersModelFiles(out, artifacts);
  return `exported to ${out}/model.json (stock tfjs layers)\n${formatExportReport(report)}`;
}
