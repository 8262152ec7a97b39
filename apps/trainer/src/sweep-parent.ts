import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import { makeDirectory } from '@tnzip/layers';
import type { DatasetRequest } from './datasets.js';
import { loadModelDir, resolveModelDir, saveModelDir, testEval } from './model-files.js';
import type { Progress } from './progress.js';
import { exists, readJson, writeJson } from './run-dir.js';
import { processAlive } from './run-lock.js';
import type { TrainConfig } from './train-config.js';
import { buildModel, trainModel } from './training.js';

/**
 * Test accuracy each documented recipe states it reaches (`recipes` of @tnzip/train: LeNet-300-100
 * ≥ 98.0 %, LeNet-5 ≥ 99.0 %, full MNIST). A parent trained otherwise has no target.
 */
export const RECIPE_TARGETS: Readonly<Record<string, number>> = {
  'recipes.lenet300': 0.98,
  'recipes.lenet5': 0.99,
};

/** A dense parent model of a sweep: where it is and what it measured (`parent.json`). */
export interface DenseParent {
  /** Its model directory (model.json + weights.bin). */
  readonly dir: string;
  readonly source: 'trained' | 'loaded';
  readonly model: string;
  readonly dataset: string;
  readonly seed: number;
  /** `recipes.lenet300`, …, or the loaded directory's origin ('loaded'). */
  readonly recipe: string;
  readonly epochs: number | null;
  /** Test accuracy (fraction) on the run's test split, and how many test images. */
  readonly testAcc: number;
  readonly testCount: number;
  /**
   * The stated test accuracy of the model's recipe on MNIST (null otherwise). It is stated for the full
   * recipe (all 60,000 images, its epochs): a shorter or limited run is compared with it all the same.
   */
  readonly target: number | null;
  /** testAcc ≥ target (null without a target). Reported, never enforced. */
  readonly reachedTarget: boolean | null;
}

/** What training or loading a parent needs from its caller. */
export interface ParentDeps {
  readonly progress: Progress;
  /** Loads (or returns a cached copy of) a dataset. */
  readonly data: (req: DatasetRequest) => Dataset;
  /** How often a process waiting for another's training looks again (default 2000 ms). */
  readonly pollMs?: number;
}

const PARENT_FILE = 'parent.json';

/**
 * The parent's identity: model, dataset, seed and a hash of everything in `cfg` that changes the
 * trained weights or the data (recipe, epochs, limits, data directory), so that two sweeps sharing a
 * parents directory reuse a parent only when it is the same training.
 */
export function parentName(cfg: TrainConfig): string {
  const { checkpointEvery: _c, logEvery: _l, ...rest } = cfg;
  // No --workers trains with 1 worker: both name the same parent (workers is the config's last key,
  // so an explicit 1 and the filled-in 1 serialise alike).
  const what = { ...rest, workers: cfg.workers ?? 1 };
  const hash = createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 8);
  return `${cfg.model}-${cfg.dataset}-seed${cfg.seed}-${hash}`;
}

/** The deterministic directory of the parent trained with `cfg` under `parentsDir`. */
export function parentDir(parentsDir: string, cfg: TrainConfig): string {
  return path.join(parentsDir, parentName(cfg));
}

/** The stated target of `model`'s recipe on `dataset` (MNIST only), and whether `testAcc` reached it. */
export function targetOf(
  model: string,
  dataset: string,
  testAcc: number,
): Pick<DenseParent, 'target' | 'reachedTarget'> {
  const target = dataset === 'mnist' ? (RECIPE_TARGETS[`recipes.${model}`] ?? null) : null;
  return { target, reachedTarget: target === null ? null : testAcc >= target };
}

/** Takes `file` exclusively (pid inside); false while a live process of this host holds it. */
async function tryLock(file: string): Promise<boolean> {
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), createdAt: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, `${mine}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    let other: { pid?: unknown; host?: unknown } | null = null;
    try {
      other = JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown; host?: unknown };
    } catch {
      other = null; // a writer died mid-write, or it was just released
    }
    const pid = typeof other?.pid === 'number' ? other.pid : -1;
    if (other !== null && (other.host !== os.hostname() || processAlive(pid))) return false;
    await fs.rm(file, { force: true });
  }
  return false;
}

async function readParent(dir: string): Promise<DenseParent | null> {
  if (!(await exists(path.join(dir, PARENT_FILE)))) return null;
  const p = await readJson<DenseParent>(path.join(dir, PARENT_FILE), 'dense parent record');
  return { ...p, dir: path.join(dir, 'model') };
}

/**
 * The finished parent trained with `cfg` in `parentsDir`, or null while it is missing or still
 * training: a lookup that never trains (a queued sweep's coordinator reads what its workers trained).
 */
export function finishedParent(parentsDir: string, cfg: TrainConfig): Promise<DenseParent | null> {
  return readParent(parentDir(parentsDir, cfg));
}

/** Trains the parent in `work` (resuming its checkpoints), saves, evaluates, writes parent.json. */
async function trainInto(work: string, cfg: TrainConfig, deps: ParentDeps): Promise<void> {
  const ds = deps.data(cfg);
  const model = buildModel(cfg, ds);
  try {
    const resume = await exists(path.join(work, 'checkpoints'));
    await trainModel(model, ds, cfg, work, resume, deps.progress, `dense ${cfg.model} seed ${cfg.seed}`);
    deps.progress.done();
    await saveModelDir(model, path.join(work, 'model'), {
      inputShape: ds.inputShape,
      meta: { model: cfg.model, dataset: cfg.dataset, numClasses: ds.numClasses },
    });
    const ev = await testEval(model, ds);
    const record: Omit<DenseParent, 'dir'> = {
      source: 'trained',
      model: cfg.model,
      dataset: cfg.dataset,
      seed: cfg.seed,
      recipe: cfg.recipe,
      epochs: cfg.epochs,
      testAcc: ev.top1,
      testCount: ev.count,
      ...targetOf(cfg.model, cfg.dataset, ev.top1),
    };
    await writeJson(path.join(work, PARENT_FILE), record);
  } finally {
    model.dispose();
  }
}

/**
 * The dense parent trained with `cfg` (model, dataset, seed, recipe) in `parentsDir`: reused when a
 * finished one is there (its `parent.json` exists), else trained. Training happens in
 * `<dir>.partial` under the lock file `<dir>.lock` (pid inside; a dead holder's lock is taken over and
 * its checkpoints resumed), and the finished directory is renamed into place, so a reader never sees
 * half a parent and two processes asking at once train it once: the second waits and reuses it.
 */
export async function ensureDenseParent(cfg: TrainConfig, parentsDir: string, deps: ParentDeps): Promise<DenseParent> {
  const dir = parentDir(parentsDir, cfg);
  const work = `${dir}.partial`;
  const lock = `${dir}.lock`;
  await makeDirectory(parentsDir);
  for (let waited = false; ; waited = true) {
    const done = await readParent(dir);
    if (done !== null) return done;
    if (await tryLock(lock)) break;
    if (!waited) deps.progress.note(`waiting for another process to finish training the dense parent ${dir}`);
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 2000));
  }
  try {
    const done = await readParent(dir); // finished while we took the lock
    if (done !== null) return done;
    await makeDirectory(work);
    await trainInto(work, cfg, deps);
    await fs.rename(work, dir);
    return (await readParent(dir)) as DenseParent;
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** A parent loaded from `from` (`--dense-from`: a model or run directory), evaluated on the run's test split. */
export async function loadedParent(from: string, cfg: TrainConfig, deps: ParentDeps): Promise<DenseParent> {
  const dir = await resolveModelDir(from);
  const ds = deps.data(cfg);
  const loaded = await loadModelDir(dir);
  try {
    const ev = await testEval(loaded.model, ds);
    return {
      dir,
      source: 'loaded',
      model: cfg.model,
      dataset: cfg.dataset,
      seed: cfg.seed,
      recipe: 'loaded',
      epochs: null,
      testAcc: ev.top1,
      testCount: ev.count,
      ...targetOf(cfg.model, cfg.dataset, ev.top1),
    };
  } finally {
    loaded.model.dispose();
  }
}
