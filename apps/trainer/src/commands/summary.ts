import type { Module } from '@tnzip/layers';
import { createModel, MODEL_NAMES, modelInputShape } from '@tnzip/zoo';
import { COMMON_FLAGS, choice, type FlagSpec, formatHelp } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { importLayersModelFile, layersModelJson } from '../layers-model.js';
import { loadModelDir, resolveModelDir } from '../model-files.js';
import { type LayerRow, layerRows } from '../results.js';
import { backendChoice, startBackend } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip summary`. */
export const SUMMARY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  model: { type: 'string', value: 'NAME', help: `a fresh zoo model instead of a directory: ${MODEL_NAMES.join(', ')}` },
  ...COMMON_FLAGS,
};

/** `tnzip summary --help`. */
export const SUMMARY_HELP = formatHelp(
  'tnzip summary RUN_DIR|MODEL_DIR|path/to/model.json\n       tnzip summary --model NAME',
  'Prints the per-layer table of a model (tnzip, or a tfjs LayersModel: model.json + shards): name, kind,\noutput shape, ranks, params, MACs (per example).',
  SUMMARY_FLAGS,
);

/** The per-layer table as fixed-width text, totals last. */
export function formatLayerTable(rows: readonly LayerRow[], total: { params: number; macs: number }): string {
  const head = ['layer', 'kind', 'shape', 'ranks', 'params', 'MACs'];
  const body = rows.map((r) => [
    r.name,
    r.kind,
    `[${r.shape.join(',')}]`,
    r.ranks,
    r.params.toLocaleString('en-US'),
    r.macs.toLocaleString('en-US'),
  ]);
  body.push(['total', '', '', '', total.params.toLocaleString('en-US'), total.macs.toLocaleString('en-US')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i >= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** `tnzip summary`. */
export async function summaryCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const name = choice(v, 'model', MODEL_NAMES, 'model');
  const target = ctx.positionals[0];
  if ((name === undefined) === (target === undefined)) {
    throw new UsageError("summary needs either a run/model directory or --model NAME (see 'tnzip summary --help')");
  }
  const choiceB = backendChoice(v);
  const foreign = target === undefined ? null : await layersModelJson(target);
  const dir = target === undefined || foreign !== null ? null : await resolveModelDir(target);
  await startBackend(choiceB);
  let model: Module;
  let inputShape: readonly number[];
  let source: string;
  if (foreign !== null) {
    const imported = await importLayersModelFile(foreign);
    model = imported.model;
    inputShape = imported.inputShape;
    source = `${foreign} (tfjs LayersModel${imported.outputActivation === 'softmax' ? ', final softmax kept for export' : ''})`;
  } else if (dir !== null) {
    const loaded = await loadModelDir(dir);
    model = loaded.model;
    if (loaded.inputShape === null) {
      model.dispose();
      throw new UsageError(`'${dir}/model.json' has no inputShape, so its MACs are unknown`);
    }
    inputShape = loaded.inputShape;
    source = dir;
  } else {
    model = createModel(name as string);
    inputShape = modelInputShape(name as string);
    source = `zoo ${name as string}`;
  }
  try {
    const s = layerRows(model, inputShape);
    if (ctx.json) ctx.out(JSON.stringify({ source, inputShape, layers: s.rows, params: s.params, macs: s.macs }));
    else ctx.out(`${source}, input [${inputShape.join(', ')}]\n\n${formatLayerTable(s.rows, s)}`);
    return 0;
  } finally {
    model.dispose();
  }
}
