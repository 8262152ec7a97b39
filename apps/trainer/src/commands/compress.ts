import * as path from 'node:path';
import type { Module } from '@tnzip/layers';
import { type Budget, type DenseFallback, parseBudget, type RankFormat } from '@tnzip/ranks';
import { type OptimizerConfig, recipes } from '@tnzip/train';
import { compressibleLayers } from '@tnzip/zoo';
import { COMMON_FLAGS, choice, type FlagSpec, type FlagValues, formatHelp, int, num, str } from '../args.js';
import {
  exportFormat,
  exportRun,
  fromAsTnzipDir,
  LAYERS_MODEL_COMPRESS_FLAGS,
  withModelNormalization,
} from '../compress-layers-model.js';
import { DATASET_NAMES, type DatasetName, loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import { METHOD_FLAGS, resolveDenseFallback, resolveKnobs } from '../method-flags.js';
import { DEFAULT_KNOBS, METHODS, type MethodKnobs, methodHelp, methodNames } from '../methods.js';
import { loadModelDir, measureModel, resolveModelDir, saveModelDir } from '../model-files.js';
import { formatTable, renderReport } from '../report.js';
import type { ModelResult, Results } from '../results.js';
import { createRunDir, exists, readJson, writeJson } from '../run-dir.js';
import { type BackendRecord, backendChoice, startBackend, versions } from '../runtime.js';
import { selectAndFactorize } from '../select-step.js';
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
  metric: { type: 'string', value: 'params|macs', help: 'what the budget limits (default params)' },
  layers: { type: 'string', value: 'A,B', help: "layer paths to compress (default: the zoo's compressibleLayers)" },
  'finetune-epochs': {
    type: 'string',
    value: 'N',
    help: 'fine-tuning epochs after factorization (default 1; 0: none)',
  },
  'finetune-lr': { type: 'string', value: 'LR', help: 'fine-tuning learning rate (default: a tenth of the dense lr)' },
  ...METHOD_FLAGS,
  ...TRAIN_FLAGS,
  out: { type: 'string', value: 'DIR', help: 'parent of the run directory (default runs)' },
  resume: { type: 'string', value: 'RUN_DIR', help: 'continue an interrupted compress run, with its config.json' },
  'no-latency': { type: 'boolean', help: 'skip the latency measurement' },
  ...LAYERS_MODEL_COMPRESS_FLAGS,
  ...COMMON_FLAGS,
};

/** `tnzip compress --help`. */
export const COMPRESS_HELP = formatHelp(
  'tnzip compress (--model NAME | --from DIR) [--method NAME] [--format tucker2|tt] [--budget 4x] [--metric params|macs] [options]',
  'Trains the dense model (--model, into <run>/dense/) or loads it (--from), selects ranks under the budget,\n' +
    'factorizes (initialized from the dense weights), fine-tunes, evaluates, saves <run>/model/ and writes\n' +
    'results.json, report.md, report.json and SVG plots. The budget applies to the compressed layers only.\n' +
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
  readonly layers: readonly string[] | null;
  readonly finetune: TrainConfig;
  readonly latency: boolean;
  /** Absent in configs written before the dense fallback existed (they ran with 'none'). */
  readonly denseFallback?: DenseFallback;
  /** Absent in older configs: {@link DEFAULT_KNOBS}. */
  readonly knobs?: MethodKnobs;
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

function resolveCompress(v: FlagValues, dense: TrainConfig, denseLrKnown: boolean): CompressConfig {
  const method = choice(v, 'method', methodNames(), 'method') ?? 'energy';
  const format = resolveFormat(v, method);
  const metric = choice(v, 'metric', ['params', 'macs'] as const, 'metric') ?? 'params';
  const budget = parseBudget(str(v, 'budget') ?? '4x', metric, '--budget');
  const layersText = str(v, 'layers');
  const layers =
    layersText === undefined
      ? null
      : layersText
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  if (layers !== null && layers.length === 0) throw new UsageError('--layers must name at least one layer path');
  const epochs = int(v, 'finetune-epochs', 0, 100_000) ?? 1;
  const lr = num(v, 'finetune-lr', 0, 10, true) ?? (denseLrKnown ? dense.lr / 10 : 0.005);
  const optimizer: OptimizerConfig = denseLrKnown
    ? dense.optimizer
    : { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
  return {
    method,
    format,
    budget,
    layers,
    finetune: {
      ...dense,
      recipe: 'fine-tune',
      epochs,
      lr,
      optimizer,
      schedule: { kind: 'cosine' },
      warmupSteps: 0,
      labelSmoothing: 0,
    },
    latency: v['no-latency'] !== true,
    denseFallback: resolveDenseFallback(v),
    knobs: resolveKnobs(v),
  };
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
  const compress = resolveCompress(v, dense, from === undefined);
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

/** `tnzip compress` (and, with main-job defaults, `tnzip` with no arguments). */
export async function compressCommand(ctx: CommandContext, defaults: CompressDefaults = {}): Promise<number> {
  const started = performance.now();
  const v = ctx.values;
  const resumeDir = str(v, 'resume');
  let config: CompressRunConfig;
  let backend: BackendRecord;
  if (resumeDir !== undefined) {
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
    config = await readJson<CompressRunConfig>(path.join(resumeDir, 'config.json'), 'run config');
    if (config.command !== 'compress') {
      throw new UsageError(
        `'${resumeDir}' is a ${String(config.command)} run; resume it with 'tnzip ${String(config.command)} --resume'`,
      );
    }
    backend = await startBackend(v.backend === undefined ? config.backend.requested : backendChoice(v));
  } else {
    const choiceB = backendChoice(v);
    // Validate every flag before the backend starts: a typo costs nothing.
    await resolveRun(ctx, defaults, { requested: choiceB, used: '', threads: null, reason: '' });
    backend = await startBackend(choiceB);
    config = (await resolveRun(ctx, defaults, backend)).config;
  }
  const fromDir = 'from' in config.source ? config.source.from : null;
  const denseCfg = 'train' in config.source ? config.source.train : config.compress.finetune;
  const ds = await withModelNormalization(loadDataset(config.compress.finetune), fromDir);
  const c = config.compress;

  let model: Module | null = null;
  try {
    let runDir: string;
    if (resumeDir !== undefined) runDir = resumeDir;
    else {
      runDir = await createRunDir(str(v, 'out') ?? 'runs', 'compress', denseCfg.model);
      await writeJson(path.join(runDir, 'config.json'), config);
    }
    const say = ctx.progress.note;
    say(
      `tnzip compress: ${'train' in config.source ? `train ${denseCfg.model} on ${denseCfg.dataset} (recipe ${denseCfg.recipe}, ${denseCfg.epochs} epoch(s))` : `model ${fromDir}`}, ` +
        `then ${c.method} ${c.format} ranks at ${str(v, 'budget') ?? `${(1 / c.budget.target).toFixed(2)}x`} ${c.budget.metric}, ` +
        `fine-tune ${c.finetune.epochs} epoch(s); ${ds.train.count} train / ${ds.test.count} test images; ` +
        `backend ${backend.used}${backend.threads === null ? '' : ` (${backend.threads} threads)`}; run ${runDir}`,
    );

    // 1. The dense model: trained here (resumable), or loaded.
    let denseDir: string;
    if (fromDir !== null) {
      denseDir = fromDir;
      model = (await loadModelDir(fromDir)).model;
    } else {
      denseDir = path.join(runDir, 'dense', 'model');
      if (resumeDir !== undefined && (await exists(path.join(denseDir, 'model.json')))) {
        say(`dense model already trained: ${denseDir}`);
        model = (await loadModelDir(denseDir)).model;
      } else {
        model = buildModel(denseCfg, ds);
        const r = await trainModel(
          model,
          ds,
          denseCfg,
          path.join(runDir, 'dense'),
          resumeDir !== undefined,
          ctx.progress,
          'dense',
        );
        ctx.progress.done();
        await saveModelDir(model, denseDir, {
          inputShape: ds.inputShape,
          meta: {
            model: denseCfg.model,
            dataset: denseCfg.dataset,
            numClasses: ds.numClasses,
            testAcc: r.final.testAcc ?? null,
          },
        });
      }
    }
    const dense: ModelResult = await measureModel(model, denseDir, runDir, ds, c.latency);
    say(
      `dense: test acc ${(100 * dense.testAcc).toFixed(2)}%, ${dense.params.toLocaleString('en-US')} params, ${dense.macs.toLocaleString('en-US')} MACs`,
    );

    // 2. Ranks under the budget, then factorization from the dense weights.
    if (METHODS[c.method] === undefined)
      throw new UsageError(`unknown method '${c.method}' (valid: ${methodNames().join(', ')})`);
    const layers = c.layers ?? compressibleLayers(model);
    const outcome = await selectAndFactorize(
      model,
      ds,
      {
        method: c.method,
        format: c.format,
        budget: c.budget,
        layers,
        denseFallback: c.denseFallback ?? 'none',
        knobs: c.knobs ?? DEFAULT_KNOBS,
        finetune: c.finetune,
      },
      denseCfg.seed,
      ctx.progress,
    );
    const selection = { plan: outcome.plan, report: outcome.report };
    const before = { top1: outcome.before.testAcc, loss: outcome.before.testLoss };
    say(
      `${c.method} ranks: ${selection.report.layers.map((l) => `${l.layer} ${JSON.stringify(l.plan)}`).join('; ')}; ` +
        `kept ${(100 * selection.report.achieved).toFixed(1)}% of the compressed layers' ${c.budget.metric}; ` +
        `search ${outcome.searchSeconds.toFixed(2)} s; test acc before fine-tuning ${(100 * before.top1).toFixed(2)}%`,
    );

    // 3. Fine-tune (resumable: checkpoints of the factorized model in <run>/checkpoints).
    const ftStarted = performance.now();
    if (c.finetune.epochs > 0) {
      await trainModel(model, ds, c.finetune, runDir, resumeDir !== undefined, ctx.progress, 'fine-tune');
      ctx.progress.done();
    }
    const finetuneSeconds = (performance.now() - ftStarted) / 1000;
    const modelDir = path.join(runDir, 'model');
    await saveModelDir(model, modelDir, {
      plan: selection.plan,
      inputShape: ds.inputShape,
      meta: {
        model: denseCfg.model,
        dataset: denseCfg.dataset,
        numClasses: ds.numClasses,
        method: c.method,
        budget: c.budget,
      },
    });
    const compressed = await measureModel(model, modelDir, runDir, ds, c.latency);
    const exported = await exportRun(v, model, runDir, ds.inputShape);
    if (exported !== null) say(exported);
    const results: Results = {
      command: 'compress',
      model: denseCfg.model,
      dataset: denseCfg.dataset,
      dense,
      compressed,
      beforeFinetune: { testAcc: before.top1, testLoss: before.loss },
      selection: selection.report,
      wallSeconds: (performance.now() - started) / 1000,
      timing: { searchSeconds: outcome.searchSeconds, finetuneSeconds },
      epochs: { dense: fromDir === null ? denseCfg.epochs : 0, finetune: c.finetune.epochs },
    };
    await writeJson(path.join(runDir, 'results.json'), results);
    const report = await renderReport(runDir);
    if (ctx.json) ctx.out(JSON.stringify({ runDir, ...report }));
    else {
      const head = config.mainJob
        ? `tnzip main job: LeNet-5 on MNIST (${ds.train.count} train / ${ds.test.count} test images), dense training with ${denseCfg.recipe} ` +
          `for ${denseCfg.epochs} epoch(s) (the full recipe has ${recipes.lenet5.options.epochs}), ${c.method} ${c.format} ranks on ${layers.join(' + ')} at ` +
          `${(1 / c.budget.target).toFixed(0)}x fewer ${c.budget.metric}, fine-tuned ${c.finetune.epochs} epoch(s); backend ${backend.used}; ` +
          `latency = median ms per inference batch.\n\n`
        : '';
      ctx.out(
        `${head}${formatTable(report.table)}\n\nwall time ${results.wallSeconds.toFixed(1)} s; run directory: ${runDir}\nreport: ${path.join(runDir, 'report.md')}`,
      );
    }
    return 0;
  } finally {
    model?.dispose();
  }
}
