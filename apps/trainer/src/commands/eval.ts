import * as path from 'node:path';
import {
  CIFAR10_NORMALIZATION,
  FASHION_MNIST_NORMALIZATION,
  MNIST_NORMALIZATION,
  type Normalization,
} from '@tnzip/data';
import { type LoadedModel, type Module, storageBytes } from '@tnzip/layers';
import { evaluate } from '@tnzip/train';
import { COMMON_FLAGS, choice, type FlagSpec, formatHelp, int, str } from '../args.js';
import { DATASET_NAMES, loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import {
  INPUT_NORMALIZATION_HELP,
  importLayersModelFile,
  layersModelJson,
  parseInputNormalization,
} from '../layers-model.js';
import { loadModelDir, resolveModelDir } from '../model-files.js';
import { layerRows } from '../results.js';
import { dirBytes } from '../run-dir.js';
import { backendChoice, startBackend } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip eval`. */
export const EVAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  dataset: {
    type: 'string',
    value: 'NAME',
    help: `${DATASET_NAMES.join(', ')} (default: the one in model.json; mnist for a tfjs LayersModel)`,
  },
  'input-normalization': { type: 'string', value: 'SPEC', help: `tfjs LayersModel only: ${INPUT_NORMALIZATION_HELP}` },
  'data-dir': { type: 'string', value: 'DIR', help: 'dataset directory' },
  'limit-test': { type: 'string', value: 'N', help: 'evaluate only the first N test images' },
  'batch-size': { type: 'string', value: 'B', help: 'examples per forward pass (default 500)' },
  ...COMMON_FLAGS,
};

/** `tnzip eval --help`. */
export const EVAL_HELP = formatHelp(
  'tnzip eval RUN_DIR|MODEL_DIR|path/to/model.json [--dataset NAME] [--data-dir DIR] [--input-normalization SPEC]',
  "Evaluates a saved model (tnzip, or a tfjs LayersModel: model.json + shards) on the test split: top-1 and\ntop-5 accuracy, loss, params, MACs, bytes on disk; for a tnzip model weights.bin bytes and the storage ratio\n(the dense parent's float32 weights.bin / this one). Writes nothing.",
  EVAL_FLAGS,
);

/** Each dataset's standard normalization, by `--input-normalization` name. */
export const STANDARD_NORMALIZATION: Readonly<Record<string, Normalization>> = {
  mnist: MNIST_NORMALIZATION,
  'fashion-mnist': FASHION_MNIST_NORMALIZATION,
  cifar10: CIFAR10_NORMALIZATION,
};

/** What eval reports of a tnzip model's weights.bin. */
interface StorageFigures {
  /** `'float32'` or `'uint8'` (every entry quantized). */
  readonly storage: string;
  /** Size of weights.bin. */
  readonly weightsBytes: number;
  /** The dense parent's float32 weights.bin (null: unknown, a factorized model saved without it). */
  readonly denseWeightsBytes: number | null;
  /** `denseWeightsBytes / weightsBytes`, the storage ratio (whole model, every layer and bias). */
  readonly storageRatio: number | null;
}

/**
 * The storage figures of a loaded model: its weights.bin size against its dense parent's float32
 * one — `meta.denseWeightsBytes` (written by compress), or for a dense model (no plan) its own
 * elements at 4 bytes.
 */
function storageFigures(loaded: LoadedModel): StorageFigures {
  const specs = loaded.json.weightsManifest[0]?.weights ?? [];
  const weightsBytes = loaded.json.weightsByteLength;
  const recorded = loaded.meta.denseWeightsBytes;
  const denseWeightsBytes =
    typeof recorded === 'number' && recorded > 0
      ? recorded
      : loaded.plan === null
        ? storageBytes(loaded.model, 'float32')
        : null;
  return {
    storage: specs.length > 0 && specs.every((s) => s.quantization?.dtype === 'uint8') ? 'uint8' : 'float32',
    weightsBytes,
    denseWeightsBytes,
    storageRatio: denseWeightsBytes === null || weightsBytes === 0 ? null : denseWeightsBytes / weightsBytes,
  };
}

/** `tnzip eval`. */
export async function evalCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const target = ctx.positionals[0];
  if (target === undefined) throw new UsageError("eval needs a run or model directory (see 'tnzip eval --help')");
  const requested = choice(v, 'dataset', DATASET_NAMES, 'dataset');
  const limitTest = int(v, 'limit-test', 1) ?? null;
  const batchSize = int(v, 'batch-size', 1, 65_536) ?? 500;
  const choiceB = backendChoice(v);
  const foreign = await layersModelJson(target);
  const normalizationFlag = str(v, 'input-normalization');
  if (foreign === null && normalizationFlag !== undefined)
    throw new UsageError('--input-normalization applies to a tfjs LayersModel (model.json) only');
  const dir = foreign === null ? await resolveModelDir(target) : path.dirname(foreign);
  await startBackend(choiceB);
  let model: Module;
  let meta: { dataset?: string; inputNormalization?: Normalization };
  let inputShape: readonly number[] | null;
  let storage: StorageFigures | null = null;
  if (foreign !== null) {
    const imported = await importLayersModelFile(foreign);
    model = imported.model;
    meta = { dataset: 'mnist' };
    inputShape = imported.inputShape;
  } else {
    const loaded = await loadModelDir(dir);
    ({ model, meta, inputShape } = loaded);
    storage = storageFigures(loaded);
  }
  try {
    const name = requested ?? (DATASET_NAMES as readonly string[]).find((d) => d === meta.dataset);
    if (name === undefined)
      throw new UsageError(`--dataset is required: '${dir}/model.json' does not name its dataset`);
    const ds = loadDataset({
      dataset: name as (typeof DATASET_NAMES)[number],
      dataDir: str(v, 'data-dir') ?? null,
      limitTrain: 1,
      limitTest,
    });
    const size = ds.inputShape.reduce((a, b) => a * b, 1);
    // A LayersModel may take the image flattened ([784] for MNIST).
    const flatten = foreign !== null && inputShape !== null && inputShape.length === 1 && inputShape[0] === size;
    if (inputShape !== null && !flatten && inputShape.join('x') !== ds.inputShape.join('x')) {
      throw new UsageError(
        `the model expects inputs [${inputShape.join(', ')}] but ${ds.name} has [${ds.inputShape.join(', ')}]`,
      );
    }
    // A model imported from tfjs by `compress --from` records the normalization it expects.
    const normalize = parseInputNormalization(
      normalizationFlag,
      STANDARD_NORMALIZATION,
      meta.inputNormalization ?? ds.normalization,
    );
    const ev = await evaluate(model, ds.test, { batchSize, normalize, flatten, name: `${ds.name} test split` });
    const rows = layerRows(model, flatten ? [size] : ds.inputShape);
    const result = {
      modelDir: dir,
      ...(foreign === null ? {} : { format: 'tfjs-layers', inputNormalization: normalize }),
      dataset: ds.name,
      testCount: ev.count,
      testAcc: ev.top1,
      testTop5: ev.top5,
      testLoss: ev.loss,
      params: rows.params,
      macs: rows.macs,
      bytes: await dirBytes(dir),
      ...storage,
    };
    if (ctx.json) ctx.out(JSON.stringify(result));
    else
      ctx.out(
        `${path.resolve(dir)} on ${ds.name} (${ev.count} test images): top-1 ${(100 * ev.top1).toFixed(2)}%, top-5 ${(100 * ev.top5).toFixed(2)}%, ` +
          `loss ${ev.loss.toFixed(4)}; ${rows.params.toLocaleString('en-US')} params, ${rows.macs.toLocaleString('en-US')} MACs, ${result.bytes.toLocaleString('en-US')} bytes` +
          (storage === null
            ? ''
            : `; weights.bin ${storage.weightsBytes.toLocaleString('en-US')} bytes (${storage.storage})` +
              (storage.storageRatio === null ? '' : `, storage ratio ${storage.storageRatio.toFixed(2)}x`)),
      );
    return 0;
  } finally {
    model.dispose();
  }
}
