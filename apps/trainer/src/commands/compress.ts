import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import {
  type Module,
  type OptimizedExecutions,
  type StorageEncoding,
  storageBytes,
  withExecutions,
} from '@tnzip/layers';
import { type Budget, type BudgetScope, type DenseFallback, parseBudget, type RankFormat } from '@tnzip/ranks';
import { CHECKPOINT_DIR, recipes } from '@tnzip/train';
import { COMMON_FLAGS, choice, type FlagSpec, type FlagValues, formatHelp, str } from '../args.js';
import {
  exportFormat,
  exportRun,
  fromAsTnzipDir,
  LAYERS_MODEL_COMPRESS_FLAGS,
  withModelNormalization,
} from '../compress-layers-model.js';
import { DATASET_NAMES, type DatasetName, loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import { atChosenLr, chooseFinetuneLr, type LrChoice } from '../finetune-lr.js';
import { LAYERS_FLAG, type LayerSet, layersOf, resolveLayerSet } from '../layer-set.js';
import { METHOD_FLAGS, resolveDenseFallback, resolveKnobs } from '../method-flags.js';
import { DEFAULT_KNOBS, METHODS, type MethodKnobs, methodHelp, methodNames } from '../methods.js';
import { latencyAgainstParent, loadModelDir, measureModel, resolveModelDir, saveModelDir } from '../model-files.js';
import { preflightCompress } from '../preflight-compress.js';
import { formatTable, renderReport } from '../report.js';
import type { ModelResult, Results } from '../results.js';
import { createRunDir, exists, readJson, writeJson } from '../run-dir.js';
import { assertNotLocked, lockRunDir } from '../run-lock.js';
import { type BackendRecord, backendChoice, startBackend, versions } from '../runtime.js';
import {
  type CompressStep,
  DISTILL_FLAG,
  FINETUNE_LR_FLAG,
  finetuneLrAuto,
  resolveFinetune,
  runCompressStep,
  type StepOutcome,
  type StepRun,
} from '../select-step.js';
import { resolveStorage, STORAGE_FLAG } from '../storage-flag.js';
import { teacherFor } from '../teacher.js';
import { givenTrainFlags, resolveTrainConfig, TRAIN_FLAGS, type TrainConfig } from '../train-config.js';
import { buildModel, trainModel } from '../training.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip compress`. */
export const COMPRESS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  from: {
    type: 'string',
    value: 'DIR',
    help: 'compress a trained model (a model directory or a run directory) instead of training --model',
  },
  method: { type: 'string', value: 'NAME', help: `rank selection: ${methodNames().join(', ')} (default energy)` },
  format: {
    type: 'string',
    value: 'tucker2|tt',
    help: 'factorized format (default tucker2: Tucker-2 convs, low-rank linears; lwiq: tt; ada/scada: their own)',
  },
  budget: {
    type: 'string',
    value: 'F|Nx',
    help: 'fraction (0.25) or reduction factor (4x) of the compressed layers kept (default 4x)',
  },
  metric: {
    type: 'string',
    value: 'params|macs|storage|latency',
    help: 'what the budget limits (default params; storage: bytes of weights.bin, at --storage; latency: measured at batch 64 on the backend)',
  },
  ...STORAGE_FLAG,
  scope: {
    type: 'string',
    value: 'layers|model',
    help: 'what the budget is counted over: the compressed layers (default; --metric latency: the whole model) or the whole model',
  },
  ...LAYERS_FLAG,
  'finetune-epochs': {
    type: 'string',
    value: 'N',
    help: 'fine-tuning epochs after factorization (default 1; 0: none)',
  },
  'finetune-lr': FINETUNE_LR_FLAG,
  distill: DISTILL_FLAG,
  ...METHOD_FLAGS,
  ...TRAIN_FLAGS,
  out: { type: 'string', value: 'DIR', help: 'parent of the run directory (default runs)' },
  resume: { type: 'string', value: 'RUN_DIR', help: 'continue an interrupted compress run, with its config.json' },
  'no-latency': {
    type: 'boolean',
    help: 'skip the latency measurement and the measured execution choice (factorized layers run factorized)',
  },
  ...LAYERS_MODEL_COMPRESS_FLAGS,
  ...COMMON_FLAGS,
};

/** `tnzip compress --help`. */
export const COMPRESS_HELP = formatHelp(
  'tnzip compress (--model NAME | --from DIR) [--method NAME] [--format tucker2|tt] [--budget 4x] [--metric params|macs|storage|latency] [--storage float32|uint8] [options]',
  'Trains the dense model (--model, into <run>/dense/) or loads it (--from), selects ranks under the budget,\n' +
    'factorizes (initialized from the dense weights), fine-tunes, evaluates, saves <run>/model/ and writes\n' +
    'results.json, report.md, report.json and SVG plots. The budget applies to the compressed layers\n' +
    '(--scope layers, default) or to the whole model (--scope model, the default of --metric latency); the\n' +
    'report gives both ratios.\n' +
    '--storage uint8 stores weights.bin as uint8 (fine-tuning quantization-aware); --metric storage budgets its\n' +
    'bytes: --budget 691x = the dense float32 weights.bin / 691 (storage ratio, `tnzip eval --json`).\n' +
    'Methods ([P]: implemented from the reconstruction marked [P] in papers.md, the paper leaving details open):\n' +
    methodHelp() +
    '\nEvery method is used the same way: select ranks, factorize from the dense weights (BATUDE: after its\n' +
    'phase-1 training), fine-tune with --finetune-epochs / --finetune-lr. The report gives the search time\n' +
    '(BATUDE: phase 1) apart from the fine-tuning time.',
  COMPRESS_FLAGS,
);

/** The compression part of a compress run's config. */
export interface CompressConfig {
  readonly method: string;
  readonly format: RankFormat;
  readonly budget: Budget;
  /** `--layers` (null in configs written before it took 'all'): 'default'. */
  readonly layers: LayerSet | null;
  readonly finetune: TrainConfig;
  /** `--finetune-lr auto` (absent: `finetune.lr`): the lr is chosen on a validation split first. */
  readonly finetuneLr?: 'auto';
  readonly latency: boolean;
  /** Absent in configs written before the dense fallback existed (they ran with 'none'). */
  readonly denseFallback?: DenseFallback;
  /** Absent in older configs: {@link DEFAULT_KNOBS}. */
  readonly knobs?: MethodKnobs;
  /** How model/weights.bin stores the weights. Absent in older configs: float32. */
  readonly storage?: StorageEncoding;
}

/** `config.json` of a compress run. */
export interface CompressRunConfig {
  readonly command: 'compress';
  readonly argv: readonly string[];
  readonly createdAt: string;
  readonly seed: number;
  readonly backend: BackendRecord;
  readonly versions: Record<string, string>;
  /** Either the dense training config, or the model directory compressed. */
  readonly source: { readonly train: TrainConfig } | { readonly from: string };
  readonly compress: CompressConfig;
  /** True for the run `tnzip` with no arguments starts. */
  readonly mainJob: boolean;
}

/** Defaults the main job overrides. */
export interface CompressDefaults {
  readonly model?: TrainConfig['model'];
  readonly epochs?: number;
  readonly mainJob?: boolean;
}

const FROM_FORBIDDEN = [
  'model',
  'epochs',
  'lr',
  'optimizer',
  'momentum',
  'weight-decay',
  'schedule',
  'warmup-steps',
  'label-smoothing',
];

function resolveCompress(v: FlagValues, dense: TrainConfig): CompressConfig {
  const method = choice(v, 'method', methodNames(), 'method') ?? 'energy';
  const format = resolveFormat(v, method);
  const metric = choice(v, 'metric', ['params', 'macs', 'storage', 'latency'] as const, 'metric') ?? 'params';
  const storage = resolveStorage(v);
  // A latency budget is what the user waits for: the whole model unless --scope says otherwise.
  const scope = resolveScope(v) ?? (metric === 'latency' ? 'model' : undefined);
  const budget = parseBudget(str(v, 'budget') ?? '4x', metric, '--budget', scope, storage);
  if (metric === 'latency' && METHODS[method]?.trainsWhileSelecting === true)
    throw new UsageError(
      `--metric latency cannot be used with --method ${method}: it selects by training, and a latency budget selects once per bisection step (use --metric macs)`,
    );
  const layers = resolveLayerSet(v, true);
  return {
    method,
    format,
    budget,
    layers,
    finetune: resolveFinetune(v, dense),
    ...(finetuneLrAuto(v) ? { finetuneLr: 'auto' as const } : {}),
    latency: v['no-latency'] !== true,
    denseFallback: resolveDenseFallback(v),
    knobs: resolveKnobs(v),
    ...(storage === 'float32' ? {} : { storage }),
  };
}

/** `--scope` (absent: the budget's default, the compressed layers). */
export function resolveScope(v: FlagValues): BudgetScope | undefined {
  return choice(v, 'scope', ['layers', 'model'] as const, 'budget scope');
}

/**
 * `--format` for `method`: the method's default when absent.
 * @throws UsageError for a format the method does not support (ADA/SCADA take none).
 */
export function resolveFormat(v: FlagValues, method: string): RankFormat {
  const given = choice(v, 'format', ['tucker2', 'tt'] as const, 'format');
  const entry = METHODS[method];
  if (entry === undefined) return given ?? 'tucker2';
  if (given === undefined) return entry.defaultFormat;
  if (entry.formats === null)
    throw new UsageError(`--method ${method} plans its own ADA-Tucker format; drop --format ${given}`);
  if (!entry.formats.includes(given))
    throw new UsageError(
      `--method ${method} does not support --format ${given} (supported: ${entry.formats.join(', ')})`,
    );
  return given;
}

/** Resolves the whole run config from flags (usage errors only; nothing is read or written). */
async function resolveRun(
  ctx: CommandContext,
  defaults: CompressDefaults,
  backend: BackendRecord,
): Promise<{ config: CompressRunConfig; fromDir: string | null }> {
  const v = ctx.values;
  const from = str(v, 'from');
  let source: CompressRunConfig['source'];
  let dense: TrainConfig;
  let fromDir: string | null = null;
  if (from !== undefined) {
    const bad = FROM_FORBIDDEN.filter((k) => v[k] !== undefined);
    if (bad.length > 0) {
      throw new UsageError(
        `${bad.map((b) => `--${b}`).join(', ')} ${bad.length > 1 ? 'apply' : 'applies'} to training a dense --model, not to --from (fine-tuning: --finetune-epochs, --finetune-lr)`,
      );
    }
    fromDir = await resolveModelDir(await fromAsTnzipDir(from, v));
    const loadedMeta = await readJson<{ meta?: { model?: string; dataset?: string } }>(
      path.join(fromDir, 'model.json'),
      'model file',
    );
    const metaModel = loadedMeta.meta?.model;
    const metaDataset = loadedMeta.meta?.dataset;
    const dataset =
      choice(v, 'dataset', DATASET_NAMES, 'dataset') ??
      ((DATASET_NAMES as readonly string[]).includes(metaDataset ?? '') ? (metaDataset as DatasetName) : undefined);
    if (dataset === undefined)
      throw new UsageError(
        `--dataset is required: '${fromDir}/model.json' does not say which dataset it was trained on`,
      );
    const base = resolveTrainConfig({ ...v, model: metaModel ?? 'lenet5', dataset }, null);
    dense = { ...base, recipe: `loaded from ${fromDir}` };
    source = { from: fromDir };
  } else {
    dense = resolveTrainConfig(
      v,
      defaults.model ?? null,
      defaults.epochs === undefined ? {} : { epochs: defaults.epochs },
    );
    source = { train: dense };
  }
  exportFormat(v);
  const compress = resolveCompress(v, dense);
  return {
    config: {
      command: 'compress',
      argv: ctx.argv,
      createdAt: new Date().toISOString(),
      seed: dense.seed,
      backend,
      versions: versions(),
      source,
      compress,
      mainJob: defaults.mainJob === true,
    },
    fromDir,
  };
}

/** The config of `--resume RUN_DIR` (no other run flag allowed) and the backend it asks for. */
async function resumeRun(
  v: FlagValues,
  resumeDir: string,
): Promise<{ config: CompressRunConfig; backend: BackendRecord }> {
  const given = [
    ...givenTrainFlags(v),
    ...Object.keys(COMPRESS_FLAGS).filter(
      (k) =>
        k in TRAIN_FLAGS === false &&
        !(k in COMMON_FLAGS) &&
        k !== 'resume' &&
        k !== 'no-latency' &&
        v[k] !== undefined,
    ),
  ];
  if (given.length > 0 || v.seed !== undefined) {
    throw new UsageError(
      `--resume continues a run with its own config.json; drop ${given.map((g) => `--${g}`).join(', ') || '--seed'}`,
    );
  }
  assertNotLocked(resumeDir); // a live run may not have written its config.json yet
  const config = await readJson<CompressRunConfig>(path.join(resumeDir, 'config.json'), 'run config');
  if (config.command !== 'compress') {
    throw new UsageError(
      `'${resumeDir}' is a ${String(config.command)} run; resume it with 'tnzip ${String(config.command)} --resume'`,
    );
  }
  const backend = await startBackend(v.backend === undefined ? config.backend.requested : backendChoice(v));
  return { config, backend };
}

/** The dense model: loaded (`--from`, or a resumed run that already trained it), or trained into `<run>/dense`. */
async function denseStage(
  ctx: CommandContext,
  config: CompressRunConfig,
  ds: Dataset,
  runDir: string,
  resuming: boolean,
): Promise<{ model: Module; dir: string }> {
  if ('from' in config.source)
    return { model: (await loadModelDir(config.source.from)).model, dir: config.source.from };
  const cfg = config.source.train;
  const dir = path.join(runDir, 'dense', 'model');
  if (resuming && (await exists(path.join(dir, 'model.json')))) {
    ctx.progress.note(`dense model already trained: ${dir}`);
    return { model: (await loadModelDir(dir)).model, dir };
  }
  const model = buildModel(cfg, ds);
  try {
    const r = await trainModel(model, ds, cfg, path.join(runDir, 'dense'), resuming, ctx.progress, 'dense');
    ctx.progress.done();
    await saveModelDir(model, dir, {
      inputShape: ds.inputShape,
      meta: {
        model: cfg.model,
        dataset: cfg.dataset,
        numClasses: ds.numClasses,
        testAcc: r.final.testAcc ?? null,
      },
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, dir };
}

/** `<run>/lr-choice.json`: `--finetune-lr auto`'s choice, kept for `--resume`. */
const LR_CHOICE_FILE = 'lr-choice.json';

/**
 * `--finetune-lr auto`: the lr chosen by validation probes on fresh copies of the dense model in
 * `denseDir`, kept in `<run>/lr-choice.json` so that `--resume` does not probe again.
 */
async function runLrChoice(
  ctx: CommandContext,
  step: CompressStep,
  denseDir: string,
  ds: Dataset,
  runDir: string,
  teacher: Module | undefined,
): Promise<LrChoice> {
  const file = path.join(runDir, LR_CHOICE_FILE);
  if (await exists(file)) return readJson<LrChoice>(file, 'learning-rate choice');
  const fresh = async (): Promise<Module> => (await loadModelDir(denseDir)).model;
  const choice = await chooseFinetuneLr(fresh, ds, step, {
    outDir: runDir,
    label: 'fine-tune',
    progress: ctx.progress,
    ...(teacher === undefined ? {} : { teacher }),
  });
  ctx.progress.note(`fine-tuning lr ${choice.lr.toPrecision(3)}, chosen on ${choice.valSize} held-out training images`);
  await writeJson(file, choice);
  return choice;
}

/** What {@link compressStage} works on: the dense model (compressed in place), the step and its lr choice. */
interface StageInput {
  readonly model: Module;
  readonly step: CompressStep;
  /** `--finetune-lr auto`'s choice (null: the step's own lr). */
  readonly lrChoice: LrChoice | null;
  readonly denseDir: string;
  readonly ds: Dataset;
  readonly runDir: string;
  readonly say: (line: string) => void;
  /** Told when a retry replaces the model (the old one is disposed): the caller disposes the new one. */
  readonly replaced: (model: Module) => void;
}

/**
 * The compression step on `input.model`; with `--finetune-lr auto` at the chosen lr, or at the next
 * best when the full fine-tuning diverges ({@link atChosenLr}: a fresh copy of the dense model, the
 * diverged run's checkpoints cleared, `lr-choice.json` updated so that `--resume` skips it; the
 * caller learns of the new model through `input.replaced`). Returns the outcome and the choice with
 * the lr used.
 */
async function compressStage(input: StageInput, run: StepRun): Promise<{ outcome: StepOutcome; lr: LrChoice | null }> {
  const { step, lrChoice, runDir } = input;
  if (lrChoice === null) return { outcome: await runCompressStep(input.model, input.ds, step, run), lr: null };
  let model = input.model;
  const { result, choice } = await atChosenLr(
    lrChoice,
    async (lr, retry) => {
      if (retry) {
        await fs.rm(path.join(runDir, CHECKPOINT_DIR), { recursive: true, force: true });
        const fresh = (await loadModelDir(input.denseDir)).model;
        model.dispose();
        model = fresh;
        input.replaced(fresh);
      }
      const atLr = { ...step, finetune: { ...step.finetune, lr } };
      return runCompressStep(model, input.ds, atLr, retry ? { ...run, resume: false } : run);
    },
    async (c) => {
      input.say(
        `fine-tuning lr ${(c.diverged?.at(-1)?.lr ?? 0).toPrecision(3)} diverged over the full schedule; next best`,
      );
      await writeJson(path.join(runDir, LR_CHOICE_FILE), c);
    },
  );
  await writeJson(path.join(runDir, LR_CHOICE_FILE), choice);
  return { outcome: result, lr: choice };
}

/** The measured execution choice and the whole-model check, as a progress line. */
function executionLine(ex: OptimizedExecutions): string {
  const b = ex.speed.batches.join('/');
  const layers = Object.entries(ex.executions.layers)
    .map(([p, e]) => `${p} ${e.join('/')}`)
    .join('; ');
  return (
    `executions (measured, batch ${b}): ${layers}; whole model ${ex.speed.ms.map((t) => t.toFixed(3)).join('/')} ms vs dense parent ` +
    `${ex.speed.denseMs.map((t) => t.toFixed(3)).join('/')} ms = ${ex.speed.ratios.map((r) => r.toFixed(2)).join('/')}x (interleaved medians)` +
    (ex.notes.length === 0 ? '' : `; ${ex.notes.join('; ')}`)
  );
}

/** The one-line plan of the run. */
function startLine(config: CompressRunConfig, ds: Dataset, budgetText: string, backend: BackendRecord, runDir: string) {
  const c = config.compress;
  const dense = 'train' in config.source ? config.source.train : null;
  const what =
    dense === null
      ? `model ${'from' in config.source ? config.source.from : ''}`
      : `train ${dense.model} on ${dense.dataset} (recipe ${dense.recipe}, ${dense.epochs} epoch(s))`;
  return (
    `tnzip compress: ${what}, then ${c.method} ${c.format} ranks at ${budgetText} ${c.budget.metric}${c.budget.scope === 'model' ? ' of the whole model' : ''}, ` +
    `fine-tune ${c.finetune.epochs} epoch(s); ${ds.train.count} train / ${ds.test.count} test images; ` +
    `backend ${backend.used}${backend.threads === null ? '' : ` (${backend.threads} threads)`}; run ${runDir}`
  );
}

/** The main job's head line above the table. */
function mainJobHead(
  c: CompressConfig,
  denseCfg: TrainConfig,
  ds: Dataset,
  layers: readonly string[],
  backend: BackendRecord,
) {
  return (
    `tnzip main job: LeNet-5 on MNIST (${ds.train.count} train / ${ds.test.count} test images), dense training with ${denseCfg.recipe} ` +
    `for ${denseCfg.epochs} epoch(s) (the full recipe has ${recipes.lenet5.options.epochs}), ${c.method} ${c.format} ranks on ${layers.join(' + ')} at ` +
    `${(1 / c.budget.target).toFixed(0)}x fewer ${c.budget.metric}${c.budget.scope === 'model' ? ' (whole model)' : ''}, fine-tuned ${c.finetune.epochs} epoch(s); backend ${backend.used}; ` +
    'latency = median ms per inference batch, dense and compressed timed interleaved.\n\n'
  );
}

/** `tnzip compress` (and, with main-job defaults, `tnzip` with no arguments). */
export async function compressCommand(ctx: CommandContext, defaults: CompressDefaults = {}): Promise<number> {
  const started = performance.now();
  const v = ctx.values;
  const resumeDir = str(v, 'resume');
  let config: CompressRunConfig;
  let backend: BackendRecord;
  if (resumeDir !== undefined) ({ config, backend } = await resumeRun(v, resumeDir));
  else {
    const choiceB = backendChoice(v);
    // Validate every flag before the backend starts: a typo costs nothing.
    await resolveRun(ctx, defaults, { requested: choiceB, used: '', threads: null, reason: '' });
    backend = await startBackend(choiceB);
    config = (await resolveRun(ctx, defaults, backend)).config;
  }
  await preflightCompress(config, str(v, 'budget') ?? '4x', resumeDir === undefined ? (str(v, 'out') ?? 'runs') : null);
  if (resumeDir !== undefined) await lockRunDir(resumeDir); // one writer per run directory
  const fromDir = 'from' in config.source ? config.source.from : null;
  const denseCfg = 'train' in config.source ? config.source.train : config.compress.finetune;
  const ds = await withModelNormalization(loadDataset(config.compress.finetune), fromDir);
  const c = config.compress;
  let model: Module | null = null;
  let teacher: Module | undefined;
  try {
    const runDir = resumeDir ?? (await createRunDir(str(v, 'out') ?? 'runs', 'compress', denseCfg.model));
    if (resumeDir === undefined) await writeJson(path.join(runDir, 'config.json'), config);
    const say = ctx.progress.note;
    say(startLine(config, ds, str(v, 'budget') ?? `${(1 / c.budget.target).toFixed(2)}x`, backend, runDir));
    const denseStep = await denseStage(ctx, config, ds, runDir, resumeDir !== undefined);
    model = denseStep.model;
    // Latency is measured at the end, dense and compressed interleaved (measurePairLatency).
    const dense: ModelResult = await measureModel(model, denseStep.dir, runDir, ds, false);
    say(
      `dense: test acc ${(100 * dense.testAcc).toFixed(2)}%, ${dense.params.toLocaleString('en-US')} params, ${dense.macs.toLocaleString('en-US')} MACs`,
    );
    if (METHODS[c.method] === undefined)
      throw new UsageError(`unknown method '${c.method}' (valid: ${methodNames().join(', ')})`);
    const layers = layersOf(model, c.layers ?? 'default');
    const modelDir = path.join(runDir, 'model');
    const storage = c.storage ?? 'float32';
    // The dense parent's float32 weights.bin: the reference of the storage ratio (eval reads it).
    const denseWeightsBytes = storageBytes(model, 'float32');
    const step: CompressStep = {
      method: c.method,
      format: c.format,
      budget: c.budget,
      layers,
      denseFallback: c.denseFallback ?? 'none',
      knobs: c.knobs ?? DEFAULT_KNOBS,
      finetune: c.finetune,
      storage,
    };
    teacher = await teacherFor(c.finetune, denseStep.dir);
    const lrChoice = c.finetuneLr === 'auto' ? await runLrChoice(ctx, step, denseStep.dir, ds, runDir, teacher) : null;
    // Select, factorize, fine-tune (resumable: checkpoints in <run>/checkpoints), evaluate, save.
    const { outcome, lr } = await compressStage(
      { model, step, lrChoice, denseDir: denseStep.dir, ds, runDir, say, replaced: (m) => (model = m) },
      {
        outDir: runDir,
        resume: resumeDir !== undefined,
        label: 'fine-tune',
        progress: ctx.progress,
        ...(teacher === undefined ? {} : { teacher }),
        ...(c.latency ? { executions: { batches: [1, 64], threads: backend.threads ?? 1 } } : {}),
        save: (m, plan, ex) => {
          const meta = {
            model: denseCfg.model,
            dataset: denseCfg.dataset,
            numClasses: ds.numClasses,
            method: c.method,
            budget: c.budget,
            denseWeightsBytes,
          };
          if (ex !== null) say(executionLine(ex));
          return saveModelDir(m, modelDir, {
            plan,
            inputShape: ds.inputShape,
            storage,
            meta: ex === null ? meta : { ...withExecutions(meta, ex.choice), executionNotes: ex.notes },
          });
        },
        onFactorized: (o) =>
          say(
            `${c.method} ranks: ${o.report.layers.map((l) => `${l.layer} ${JSON.stringify(l.plan)}`).join('; ')}; ` +
              `kept ${(100 * o.report.achievedLayers).toFixed(1)}% of the compressed layers' ${o.report.budget.metric} (${(100 * o.report.achievedModel).toFixed(1)}% of the whole model's); ` +
              `search ${o.searchSeconds.toFixed(2)} s; test acc before fine-tuning ${(100 * o.before.testAcc).toFixed(2)}%`,
          ),
      },
    );
    const measured = await measureModel(model, modelDir, runDir, ds, false);
    const latency = c.latency ? await latencyAgainstParent(denseStep.dir, model, ds.inputShape) : null;
    const compressed: ModelResult = { ...measured, latency: latency?.compressed ?? null };
    const exported = await exportRun(v, model, runDir, ds.inputShape);
    if (exported !== null) say(exported);
    const results: Results = {
      command: 'compress',
      model: denseCfg.model,
      dataset: denseCfg.dataset,
      dense: { ...dense, latency: latency?.dense ?? null },
      compressed,
      beforeFinetune: outcome.before,
      selection: outcome.report,
      wallSeconds: (performance.now() - started) / 1000,
      timing: { searchSeconds: outcome.searchSeconds, finetuneSeconds: outcome.finetuneSeconds },
      epochs: { dense: fromDir === null ? denseCfg.epochs : 0, finetune: c.finetune.epochs },
      ...(lr === null ? {} : { finetuneLr: lr }),
    };
    await writeJson(path.join(runDir, 'results.json'), results);
    const report = await renderReport(runDir);
    if (ctx.json) ctx.out(JSON.stringify({ runDir, ...report }));
    else {
      const head = config.mainJob ? mainJobHead(c, denseCfg, ds, layers, backend) : '';
      ctx.out(
        `${head}${formatTable(report.table)}\n\nwall time ${results.wallSeconds.toFixed(1)} s; run directory: ${runDir}\nreport: ${path.join(runDir, 'report.html')} (also report.md)`,
      );
    }
    return 0;
  } finally {
    model?.dispose();
    teacher?.dispose();
  }
}
