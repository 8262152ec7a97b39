import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseBudget } from '@tnzip/ranks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetRequest, loadDataset } from './datasets.js';
import { DEFAULT_KNOBS } from './methods.js';
import { createProgress } from './progress.js';
import { startBackend } from './runtime.js';
import { DISTILL_DEFAULTS, resolveFinetune } from './select-step.js';
import { type CellSpec, runSweepCell, type SweepCell } from './sweep-cell.js';
import { ensureDenseParent, parentDir } from './sweep-parent.js';
import { resolveTrainConfig } from './train-config.js';

let root: string;
beforeAll(async () => {
  await startBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-cell-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const quiet = createProgress({ write: () => true });
const dense = resolveTrainConfig(
  { model: 'lenet300', epochs: '1', 'limit-train': '300', 'limit-test': '200', seed: '1' },
  null,
);

/** A data loader that counts its calls (each call = one process needing the data to train). */
function counting(): { data: (req: DatasetRequest) => ReturnType<typeof loadDataset>; calls: () => number } {
  let n = 0;
  return {
    data: (req) => {
      n++;
      return loadDataset(req);
    },
    calls: () => n,
  };
}

const stable = (c: SweepCell): Partial<SweepCell> => {
  const { finishedAt: _f, searchSeconds: _s, finetuneSeconds: _t, ...rest } = c;
  return rest;
};

describe('ensureDenseParent (real MNIST, 300 images)', () => {
  it('trains a parent once when two callers race, and every later caller reuses the finished one', async () => {
    const parents = path.join(root, 'race');
    const c = counting();
    const deps = { progress: quiet, data: c.data, pollMs: 50 };
    const [a, b] = await Promise.all([
      ensureDenseParent(dense, parents, deps),
      ensureDenseParent(dense, parents, deps),
    ]);
    expect(c.calls()).toBe(1);
    expect(a).toEqual(b);
    expect(a.dir).toBe(path.join(parentDir(parents, dense), 'model'));
    expect(a.seed).toBe(1);
    expect(a.testCount).toBe(200);
    expect(a.target).toBe(0.98); // the lenet300 recipe's stated target, reported …
    expect(a.reachedTarget).toBe(a.testAcc >= 0.98); // … not enforced
    // Nothing half-done is left beside it.
    expect((await fs.readdir(parents)).sort()).toEqual([path.basename(parentDir(parents, dense))]);
    const again = await ensureDenseParent(dense, parents, deps);
    expect(c.calls()).toBe(1);
    expect(again).toEqual(a);
  });

  it("takes over a dead process's lock and half-trained directory", async () => {
    const parents = path.join(root, 'stale');
    const dir = parentDir(parents, dense);
    await fs.mkdir(`${dir}.partial`, { recursive: true });
    await fs.writeFile(`${dir}.lock`, JSON.stringify({ pid: 2 ** 30, host: os.hostname(), createdAt: '' }));
    const p = await ensureDenseParent(dense, parents, { progress: quiet, data: loadDataset, pollMs: 50 });
    expect(p.source).toBe('trained');
    expect((await fs.readdir(parents)).sort()).toEqual([path.basename(dir)]);
  });

  it('keys the parent by seed and training config: another seed is another directory', () => {
    const other = { ...dense, seed: 2 };
    expect(parentDir('p', other)).not.toBe(parentDir('p', dense));
    expect(parentDir('p', { ...dense, epochs: 2 })).not.toBe(parentDir('p', dense));
    expect(parentDir('p', { ...dense, logEvery: 7 })).toBe(parentDir('p', dense));
    // --workers 1 is the default: the same training, the same parent; 2 workers train another one.
    const { workers: _w, ...noWorkers } = { ...dense, workers: 1 };
    expect(parentDir('p', noWorkers)).toBe(parentDir('p', { ...dense, workers: 1 }));
    expect(parentDir('p', { ...dense, workers: 2 })).not.toBe(parentDir('p', noWorkers));
    expect(path.basename(parentDir('p', other))).toMatch(/^lenet300-mnist-seed2-[0-9a-f]{8}$/);
  });
});

describe('runSweepCell (real MNIST, 300 images)', () => {
  const spec = (runDir: string): CellSpec => ({
    model: 'lenet300',
    dataset: 'mnist',
    seed: 1,
    method: 'energy',
    format: 'tucker2',
    budgetLabel: '4x',
    budget: parseBudget('4x', 'params', '--budgets'),
    denseFallback: 'metric',
    knobs: DEFAULT_KNOBS,
    dense,
    finetune: resolveFinetune({}, dense),
    denseFrom: null,
    parentsDir: path.join(root, 'shared-parents'),
    runDir,
  });

  it('runs a JSON round-tripped spec in two run directories sharing parents: same line, models saved, no leak', async () => {
    const deps = { progress: quiet, data: loadDataset, pollMs: 50 };
    const before = tf.memory().numTensors;
    const one = await runSweepCell(JSON.parse(JSON.stringify(spec(path.join(root, 'r1')))) as CellSpec, deps);
    const two = await runSweepCell(spec(path.join(root, 'r2')), deps);
    expect(tf.memory().numTensors).toBe(before);
    expect(one.status, one.error).toBe('ok');
    expect(stable(two)).toEqual(stable(one));
    expect(one).toMatchObject({ model: 'lenet300', dataset: 'mnist', seed: 1, method: 'energy', budget: '4x' });
    expect(one.paramsRatioLayers).toBeGreaterThanOrEqual(4 * (1 - 1e-9));
    expect(one.modelDir).toBe(path.join('cells', 'lenet300-mnist-seed1-energy-4x', 'model'));
    const w = await fs.stat(path.join(root, 'r1', one.modelDir as string, 'weights.bin'));
    expect(one.weightsBytes).toBe(w.size);
    // float32 weights: 4 bytes per parameter, dense and compressed alike (until uint8 storage exists).
    expect(one.weightsBytes).toBe(4 * (one.params as number));
    expect(one.denseWeightsBytes).toBe(4 * 266_610);
  });

  it("names the format an ADA cell planned (its plan's kind), not the baselines' default", async () => {
    const s = {
      ...spec(path.join(root, 'r4')),
      method: 'ada',
      budgetLabel: '20x',
      budget: parseBudget('20x', 'params', 'b'),
      knobs: { ...DEFAULT_KNOBS, adaInit: 'random' as const },
    };
    const cell = await runSweepCell(s, { progress: quiet, data: loadDataset });
    expect(cell.status, cell.error).toBe('ok');
    expect(cell.format).toBe('ada-tucker');
  });

  it("with layers 'all' the classifier is compressed too, and a whole-model budget counts it", async () => {
    const budget = parseBudget('10x', 'params', 'b', 'model');
    const base = { ...spec(path.join(root, 'r5')), method: 'ada', budgetLabel: '10x', budget };
    const s = { ...base, knobs: { ...DEFAULT_KNOBS, adaInit: 'random' as const } };
    const all = await runSweepCell({ ...s, layers: 'all' }, { progress: quiet, data: loadDataset });
    expect(all.status, all.error).toBe('ok');
    expect(Object.keys(all.plan ?? {})).toEqual(['fc1', 'fc2', 'fc3']);
    expect(all.paramsRatioNet).toBeGreaterThanOrEqual(10 * (1 - 0.05));
    const def = await runSweepCell({ ...s, runDir: path.join(root, 'r6') }, { progress: quiet, data: loadDataset });
    expect(Object.keys(def.plan ?? {})).toEqual(['fc1', 'fc2']);
  });

  it("records the selector's report details: BATUDE's λ, its trials and per-layer residuals", async () => {
    const s = {
      ...spec(path.join(root, 'r7')),
      method: 'batude',
      knobs: { ...DEFAULT_KNOBS, batudeEpochs: 1, batudeLambda: 0.01 },
    };
    const cell = await runSweepCell(s, { progress: quiet, data: loadDataset });
    expect(cell.status, cell.error).toBe('ok');
    expect(cell.details).toMatchObject({ lambda: 0.01, lambdaChosenBy: 'fixed' });
    const residuals = cell.details?.residuals as Record<string, number>;
    expect(Object.keys(residuals).sort()).toEqual(['fc1', 'fc2']);
    for (const v of Object.values(residuals)) expect(v).toBeGreaterThanOrEqual(0);
  });

  it("chooses BATUDE's λ auto on a held-out twelfth of the training images and says so", async () => {
    const s = { ...spec(path.join(root, 'r7b')), method: 'batude', knobs: { ...DEFAULT_KNOBS, batudeEpochs: 1 } };
    const cell = await runSweepCell(s, { progress: quiet, data: loadDataset });
    expect(cell.status, cell.error).toBe('ok');
    expect(cell.details).toMatchObject({ lambdaChosenBy: 'validation', lambdaImages: 25 }); // 300 / 12
    expect(cell.details?.lambdaTrials).toHaveLength(3);
  });

  it("with finetuneLr 'auto' fine-tunes at the lr its validation probes chose, and records them", async () => {
    const s = spec(path.join(root, 'r8'));
    const cell = await runSweepCell(
      { ...s, finetuneLr: 'auto', finetune: { ...s.finetune, logEvery: 1 } },
      { progress: quiet, data: loadDataset },
    );
    expect(cell.status, cell.error).toBe('ok');
    const choice = cell.details?.finetuneLr as { lr: number; trials: { lr: number; valAcc: number | null }[] };
    const base = s.finetune.lr;
    expect(choice.trials.slice(0, 3).map((t) => t.lr)).toEqual([base, base / Math.sqrt(10), base / 10]);
    const best = Math.max(...choice.trials.map((t) => t.valAcc ?? -1));
    expect(choice.trials.find((t) => t.lr === choice.lr)?.valAcc).toBe(best);
    // The fine-tuning's first step ran at the chosen lr (cosine: a hair below it), not another candidate.
    const dir = path.join(root, 'r8', 'cells', 'lenet300-mnist-seed1-energy-4x');
    const lines = (await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    const first = JSON.parse(lines[0] as string) as { type: string; lr: number };
    expect(first.type).toBe('step');
    expect(first.lr).toBeLessThanOrEqual(choice.lr);
    expect(first.lr).toBeGreaterThan(0.9 * choice.lr);
    expect((await fs.readdir(path.join(dir, 'lr-probes'))).length).toBe(choice.trials.length);
  });

  it('with finetune.distill fine-tunes against its dense parent as the teacher, and disposes it', async () => {
    const s = spec(path.join(root, 'r9'));
    const plain = { ...s, finetune: { ...s.finetune, logEvery: 1 } };
    const deps = { progress: quiet, data: loadDataset };
    const firstLoss = async (c: CellSpec): Promise<number> => {
      const cell = await runSweepCell(c, deps);
      expect(cell.status, cell.error).toBe('ok');
      const dir = path.join(c.runDir, 'cells', 'lenet300-mnist-seed1-energy-4x');
      const [line] = (await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).split('\n');
      return (JSON.parse(line as string) as { loss: number }).loss;
    };
    const ce = await firstLoss(plain);
    const before = tf.memory().numTensors;
    const kd = await firstLoss({
      ...plain,
      runDir: path.join(root, 'r10'),
      finetune: { ...plain.finetune, distill: DISTILL_DEFAULTS },
    });
    expect(tf.memory().numTensors).toBe(before);
    // Same model, batch and seed: the first step's loss is (1 − α)·CE + α·T²·KL with KL > 0 (the
    // factorized student is not its parent), so it is not the plain CE, and above (1 − α)·CE.
    const { alpha } = DISTILL_DEFAULTS;
    expect(kd).not.toBeCloseTo(ce, 6);
    expect(kd).toBeGreaterThan((1 - alpha) * ce);
  });

  it('records a budget the method cannot reach as a failed line', async () => {
    const s = { ...spec(path.join(root, 'r3')), budgetLabel: '100000x', budget: parseBudget('100000x', 'params', 'b') };
    const cell = await runSweepCell(s, { progress: quiet, data: loadDataset });
    expect(cell.status).toBe('failed');
    expect(cell.error).toMatch(/INVALID_BUDGET/);
  });
});
