import * as path from 'node:path';
import type { StorageEncoding } from '@tnzip/layers';
import { recipes, type TrainResult } from '@tnzip/train';
import { COMMON_FLAGS, type FlagSpec, formatHelp, str } from '../args.js';
import { loadDataset } from '../datasets.js';
import { UsageError } from '../exit-codes.js';
import { measureModel, saveModelDir } from '../model-files.js';
import { preflight } from '../preflight.js';
import { formatTable, renderReport } from '../report.js';
import type { Results } from '../results.js';
import { createRunDir, readJson, writeJson } from '../run-dir.js';
import { assertNotLocked, lockRunDir } from '../run-lock.js';
import { type BackendRecord, backendChoice, startBackend, versions } from '../runtime.js';
import { resolveStorage, STORAGE_FLAG, storageHook } from '../storage-flag.js';
import { givenTrainFlags, resolveTrainConfig, TRAIN_FLAGS, type TrainConfig } from '../train-config.js';
import { buildModel, trainModel } from '../training.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip train`. */
export const TRAIN_COMMAND_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...TRAIN_FLAGS,
  out: { type: 'string', value: 'DIR', help: 'parent of the run directory (default runs)' },
  resume: {
    type: 'string',
    value: 'RUN_DIR',
    help: 'continue an interrupted run from its newest checkpoint, with its config.json',
  },
  'no-latency': { type: 'boolean', help: 'skip the latency measurement' },
  ...STORAGE_FLAG,
  ...COMMON_FLAGS,
};

/** `tnzip train --help`. */
export const TRAIN_HELP = formatHelp(
  'tnzip train --model NAME [--dataset NAME] [options]\n       tnzip train --resume RUN_DIR',
  'Trains a zoo model from scratch and writes a run directory <out>/<timestamp>-train-<model>/ with\n' +
    'config.json, metrics.jsonl, checkpoints/, model/, results.json, report.md, report.json and SVG plots.\n' +
    `Defaults come from the recipes of @tnzip/train for the LeNets on MNIST (lenet5: ${recipes.lenet5.options.epochs} epochs, lenet300: ${recipes.lenet300.options.epochs}).`,
  TRAIN_COMMAND_FLAGS,
);

/** `config.json` of a train run. */
export interface TrainRunConfig {
  readonly command: 'train';
  readonly argv: readonly string[];
  readonly createdAt: string;
  readonly seed: number;
  readonly backend: BackendRecord;
  readonly versions: Record<string, string>;
  readonly train: TrainConfig;
  /** How model/weights.bin stores the weights (uint8: trained quantization-aware). Absent in older configs: float32. */
  readonly storage?: StorageEncoding;
}

/** `tnzip train`: resolves the config, loads data, trains, saves, measures and reports. */
export async function trainCommand(ctx: CommandContext): Promise<number> {
  const started = performance.now();
  const v = ctx.values;
  const resumeDir = str(v, 'resume');
  let cfg: TrainConfig;
  let saved: TrainRunConfig | null = null;
  let storage: StorageEncoding;
  if (resumeDir !== undefined) {
    const given = [...givenTrainFlags(v), ...(v.storage === undefined ? [] : ['storage'])];
    if (given.length > 0 || v.seed !== undefined || v.out !== undefined) {
      throw new UsageError(
        `--resume continues a run with its own config.json; drop ${[...given, ...(v.seed === undefined ? [] : ['seed']), ...(v.out === undefined ? [] : ['out'])].map((g) => `--${g}`).join(', ')}`,
      );
    }
    assertNotLocked(resumeDir); // a live run may not have written its config.json yet
    saved = await readJson<TrainRunConfig>(path.join(resumeDir, 'config.json'), 'run config');
    if (saved.command !== 'train' || typeof saved.train !== 'object')
      throw new UsageError(
        `'${resumeDir}' is a ${String(saved.command)} run; resume it with 'tnzip ${String(saved.command)} --resume'`,
      );
    cfg = saved.train;
    storage = saved.storage ?? 'float32';
  } else {
    cfg = resolveTrainConfig(v, null);
    storage = resolveStorage(v);
  }
  await preflight({
    dataset: cfg,
    model: cfg.model,
    ...(resumeDir === undefined ? { out: str(v, 'out') ?? 'runs' } : {}),
  });
  if (resumeDir !== undefined) await lockRunDir(resumeDir); // one writer per run directory
  const choice = v.backend === undefined && saved !== null ? saved.backend.requested : backendChoice(v);
  const backend = await startBackend(choice);
  const ds = loadDataset(cfg);
  const model = buildModel(cfg, ds);
  try {
    let runDir: string;
    if (resumeDir !== undefined && saved !== null) {
      runDir = resumeDir;
    } else {
      runDir = await createRunDir(str(v, 'out') ?? 'runs', 'train', cfg.model);
      const config: TrainRunConfig = {
        command: 'train',
        argv: ctx.argv,
        createdAt: new Date().toISOString(),
        seed: cfg.seed,
        backend,
        versions: versions(),
        train: cfg,
        ...(storage === 'float32' ? {} : { storage }),
      };
      await writeJson(path.join(runDir, 'config.json'), config);
    }
    ctx.progress.note(
      `tnzip train: ${cfg.model} on ${cfg.dataset} (${ds.train.count} train / ${ds.test.count} test images), ` +
        `recipe ${cfg.recipe}, ${cfg.epochs} epoch(s), batch ${cfg.batchSize}, lr ${cfg.lr}, ${cfg.optimizer.kind}, ` +
        (storage === 'float32' ? '' : `${storage} storage (quantization-aware), `) +
        `backend ${backend.used}${backend.threads === null ? '' : ` (${backend.threads} threads)`}; run ${runDir}` +
        (resumeDir !== undefined ? ' (resuming)' : ''),
    );
    const hook = storageHook(storage);
    let result: TrainResult;
    try {
      result = await trainModel(model, ds, cfg, runDir, resumeDir !== undefined, ctx.progress, 'train', hook);
    } finally {
      hook?.dispose();
    }
    ctx.progress.done();
    if (result.resumedFrom !== null) ctx.progress.note(`resumed from ${result.resumedFrom}`);
    const modelDir = path.join(runDir, 'model');
    await saveModelDir(model, modelDir, {
      storage,
      inputShape: ds.inputShape,
      meta: {
        model: cfg.model,
        dataset: cfg.dataset,
        numClasses: ds.numClasses,
        testAcc: result.final.testAcc ?? null,
      },
    });
    const dense = await measureModel(model, modelDir, runDir, ds, v['no-latency'] !== true);
    const results: Results = {
      command: 'train',
      model: cfg.model,
      dataset: cfg.dataset,
      dense,
      wallSeconds: (performance.now() - started) / 1000,
      epochs: { dense: cfg.epochs, finetune: 0 },
    };
    await writeJson(path.join(runDir, 'results.json'), results);
    const report = await renderReport(runDir);
    if (ctx.json) ctx.out(JSON.stringify({ runDir, ...report }));
    else {
      ctx.out(
        `${formatTable(report.table)}\n\nrun directory: ${runDir}\nreport: ${path.join(runDir, 'report.html')} (also report.md)`,
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}
