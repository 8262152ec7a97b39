import * as path from 'node:path';
import {
  exportLayersModel,
  exportOnnxModel,
  formatExportReport,
  formatOnnxExportReport,
  Graph,
  writeLayersModelFiles,
  writeOnnxFile,
} from '@tnzip/layers';
import { COMMON_FLAGS, choice, type FlagSpec, formatHelp, str } from '../args.js';
import { FileError, UsageError } from '../exit-codes.js';
import { importLayersModelFile, layersModelJson } from '../layers-model.js';
import { loadModelDir, resolveModelDir } from '../model-files.js';
import { backendChoice, startBackend } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Export formats of `tnzip export --to`. */
export const EXPORT_FORMATS = ['tfjs-layers', 'onnx'] as const;

/** Flags of `tnzip export`. */
export const EXPORT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  to: { type: 'string', value: 'FORMAT', help: `${EXPORT_FORMATS.join(', ')} (required)` },
  out: {
    type: 'string',
    value: 'DIR',
    help: 'directory to write model.json and its weight shard (onnx: model.onnx) into (required)',
  },
  quantize: {
    type: 'string',
    value: 'uint8',
    help: 'tfjs-layers only: store the weights as uint8 (about 4x smaller); default float32',
  },
  'output-activation': {
    type: 'string',
    value: 'softmax|none',
    help: "append a softmax to the output (default: the model's own, e.g. an imported model's final softmax)",
  },
  ...COMMON_FLAGS,
};

/** `tnzip export --help`. */
export const EXPORT_HELP = formatHelp(
  'tnzip export RUN_DIR|MODEL_DIR --to tfjs-layers|onnx --out DIR [--quantize uint8]',
  'Writes a tnzip model (compressed or not) as a tfjs LayersModel of stock Keras layers, which\n' +
    'tf.loadLayersModel loads with no tnzip code, or (--to onnx) as DIR/model.onnx (opset 13, NHWC input) for ONNX Runtime. Factorized layers with a stock form stay factorized\n(Tucker-2, CP, TT); the others (ADA/SCADA-Tucker) are written as their dense weight, and the report says so.\nNothing is written unless the whole export succeeds.',
  EXPORT_FLAGS,
);

/** `tnzip export`. */
export async function exportCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const target = ctx.positionals[0];
  if (target === undefined) throw new UsageError("export needs a run or model directory (see 'tnzip export --help')");
  const to = choice(v, 'to', EXPORT_FORMATS, 'format');
  if (to === undefined) throw new UsageError(`export needs --to (valid: ${EXPORT_FORMATS.join(', ')})`);
  const out = str(v, 'out');
  if (out === undefined || out === '') throw new UsageError('export needs --out DIR');
  const quantize = choice(v, 'quantize', ['uint8'] as const, 'quantization');
  if (to === 'onnx' && quantize !== undefined) throw new UsageError('--quantize applies to --to tfjs-layers only');
  const act = choice(v, 'output-activation', ['softmax', 'none'] as const, 'output activation');
  const choiceB = backendChoice(v);
  const foreign = await layersModelJson(target);
  const dir = foreign === null ? await resolveModelDir(target) : null;
  await startBackend(choiceB);
  const loaded = foreign !== null ? await importLayersModelFile(foreign) : await loadModelDir(dir as string);
  const { model } = loaded;
  try {
    const inputShape = loaded.inputShape ?? (model instanceof Graph ? model.inputShape : null);
    if (inputShape === null)
      throw new FileError(`'${dir}/model.json' has no inputShape, so the exported model's input is unknown`);
    if (to === 'onnx') {
      const { bytes, report } = await exportOnnxModel(model, {
        inputShape,
        ...(act === undefined ? {} : { outputActivation: act }),
      });
      const file = await writeOnnxFile(out, bytes);
      if (ctx.json) ctx.out(JSON.stringify({ out: path.resolve(file), format: to, ...report }));
      else ctx.out(`${path.resolve(file)} (onnx)\n${formatOnnxExportReport(report)}`);
      return 0;
    }
    const { artifacts, report } = await exportLayersModel(model, {
      inputShape,
      ...(quantize === undefined ? {} : { quantize }),
      ...(act === undefined ? {} : { outputActivation: act }),
    });
    await writeLayersModelFiles(out, artifacts);
    if (ctx.json)
      ctx.out(JSON.stringify({ out: path.resolve(out), format: to, quantize: quantize ?? null, ...report }));
    else ctx.out(`${path.resolve(out)}/model.json (${to})\n${formatExportReport(report)}`);
    return 0;
  } finally {
    model.dispose();
  }
}
