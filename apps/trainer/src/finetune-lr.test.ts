import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { parseBudget } from '@tnzip/ranks';
import { TnzipError } from '@tnzip/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import { type SweepConfig, sweepCellSpecs } from './commands/sweep.js';
import { loadDataset } from './datasets.js';
import { atChosenLr, chooseFinetuneLr, type LrChoice, rankedLrs } from './finetune-lr.js';
import { DEFAULT_KNOBS } from './methods.js';
import { loadModelDir } from './model-files.js';
import { createProgress } from './progress.js';
import { startBackend } from './runtime.js';
import { type CompressStep, resolveFinetune } from './select-step.js';
import { ensureDenseParent } from './sweep-parent.js';
import { resolveTrainConfig } from './train-config.js';

const quiet = createProgress({ write: () => true });
const dense = resolveTrainConfig(
  { model: 'lenet300', epochs: '1', 'limit-train': '600', 'limit-test': '100', seed: '3' },
  null,
);
let root: string;
let ds: Dataset;
let fresh: () => Promise<Module>;
beforeAll(async () => {
  await startBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-lr-'));
  ds = await loadDataset(dense);
  const parent = await ensureDenseParent(dense, path.join(root, 'parents'), { progress: quiet, data: loadDataset });
  fresh = async () => (await loadModelDir(parent.dir)).model;
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const step = (): CompressStep => ({
  method: 'energy',
  format: 'tucker2',
  budget: parseBudget('4x', 'params', '--budgets'),
  layers: ['fc1', 'fc2'],
  denseFallback: 'metric',
  knobs: DEFAULT_KNOBS,
  finetune: resolveFinetune({}, dense),
});

describe('chooseFinetuneLr (real MNIST, 600 images)', () => {
  it('keeps the candidate with the best validation accuracy; a diverging one scores nothing; nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const run = { outDir: path.join(root, 'choose'), label: 'test', progress: quiet };
    // 0.01 · 1e4 = 100 diverges on LeNet-300-100; the other two train.
    const c = await chooseFinetuneLr(fresh, ds, step(), run, [1e4, 1, 0.1], 0);
    expect(tf.memory().numTensors).toBe(before);
    expect(c.trials.map((t) => t.lr)).toEqual([100, 0.01, 0.001]);
    expect(c.trials[0]?.valAcc).toBeNull();
    expect(c.trials[0]?.error).toMatch(/not finite|NaN/);
    const scored = c.trials.filter((t) => t.valAcc !== null).map((t) => t.valAcc as number);
    expect(scored).toHaveLength(2);
    expect(c.trials.find((t) => t.lr === c.lr)?.valAcc).toBe(Math.max(...scored));
    expect(c).toMatchObject({ valSize: 50, probeEpochs: 1 });
  });

  it('goes on below the grid while its smallest lr is the best', async () => {
    const run = { outDir: path.join(root, 'extend'), label: 'test', progress: quiet };
    // 100 diverges, so 0.01 is the smallest tried and the best: one more half-decade is tried.
    const c = await chooseFinetuneLr(fresh, ds, step(), run, [1e4, 1], 1);
    expect(c.trials.map((t) => t.lr)).toEqual([100, 0.01, 0.01 / Math.sqrt(10)]);
    expect(c.trials[2]?.valAcc).not.toBeNull();
  });

  it('goes on above the grid while its largest lr is the best, and stops where one is not', async () => {
    const run = { outDir: path.join(root, 'extend-up'), label: 'test', progress: quiet };
    // The parent saw 600 images once: an epoch at 0.01 moves it, one at 1e-5 does not, so 0.01 is the
    // best and the largest: 0.01·10^0.5 is tried, then (extend 2) 0.1 only if 0.0316 is the best.
    const c = await chooseFinetuneLr(fresh, ds, step(), run, [1, 1e-3], 2);
    const lrs = c.trials.map((t) => t.lr);
    expect(lrs.slice(0, 3)).toEqual([0.01, 1e-5, 0.01 * Math.sqrt(10)]);
    const up = c.trials[2]?.valAcc ?? null;
    const atDefault = c.trials[0]?.valAcc as number;
    expect(lrs).toHaveLength(up !== null && up > atDefault ? 4 : 3);
    expect(c.lr).toBe(c.trials.reduce((b, t) => ((t.valAcc ?? -1) > (b.valAcc ?? -1) ? t : b)).lr);
  });

  it('throws NON_FINITE when every candidate diverges', async () => {
    const run = { outDir: path.join(root, 'all-diverge'), label: 'test', progress: quiet };
    await expect(chooseFinetuneLr(fresh, ds, step(), run, [1e4, 3e4], 0)).rejects.toMatchObject({
      code: 'NON_FINITE',
    });
  });
});

describe('atChosenLr', () => {
  // A choice whose best probe (0.003) will diverge over the full schedule; 0.001 diverged in its probe.
  const choice: LrChoice = {
    lr: 0.003,
    valSize: 50,
    probeEpochs: 1,
    trials: [
      { lr: 0.01, valAcc: 0.95 },
      { lr: 0.003, valAcc: 0.96 },
      { lr: 0.001, valAcc: null, error: 'NaN' },
      { lr: 0.0003, valAcc: 0.95 },
    ],
  };
  const diverge = (): never => {
    throw new TnzipError('NON_FINITE', 'training diverged at epoch 0, step 11');
  };

  it('ranks the scored candidates by validation accuracy, ties to the larger lr', () => {
    expect(rankedLrs(choice)).toEqual([0.003, 0.01, 0.0003]);
  });

  it('falls back to the next best when the full fine-tuning diverges, afresh, and records it', async () => {
    const calls: [number, boolean][] = [];
    const told: LrChoice[] = [];
    const r = await atChosenLr(
      choice,
      async (lr, retry) => {
        calls.push([lr, retry]);
        return lr === 0.003 ? diverge() : `ran at ${lr}`;
      },
      (c) => {
        told.push(c);
      },
    );
    expect(calls).toEqual([
      [0.003, false],
      [0.01, true],
    ]);
    expect(r.result).toBe('ran at 0.01');
    expect(r.choice.lr).toBe(0.01);
    expect(r.choice.diverged?.map((t) => t.lr)).toEqual([0.003]);
    expect(r.choice.diverged?.[0]?.error).toMatch(/step 11/);
    expect(r.choice.trials).toEqual(choice.trials);
    expect(told.map((c) => c.diverged?.length)).toEqual([1]);
  });

  it('skips what a resumed choice records as diverged, without starting afresh', async () => {
    const resumed = { ...choice, diverged: [{ lr: 0.003, valAcc: null, error: 'x' }] };
    const calls: [number, boolean][] = [];
    await atChosenLr(
      resumed,
      async (lr, retry) => calls.push([lr, retry]),
      () => undefined,
    );
    expect(calls).toEqual([[0.01, false]]);
  });

  it('throws NON_FINITE when every candidate diverges, and passes any other error through at once', async () => {
    await expect(
      atChosenLr(
        choice,
        async () => diverge(),
        () => undefined,
      ),
    ).rejects.toMatchObject({
      code: 'NON_FINITE',
      message: expect.stringMatching(/every candidate that passed its probe \(0.00300, 0.0100, 0.000300\)/),
    });
    let n = 0;
    const other = atChosenLr(
      choice,
      async () => {
        n++;
        throw new TnzipError('IO_ERROR', 'disk full');
      },
      () => undefined,
    );
    await expect(other).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(n).toBe(1);
  });
});

describe('tnzip sweep --finetune-lr auto', () => {
  const args = (extra: string[]): string[] => [
    'sweep',
    '--model',
    'lenet300',
    '--methods',
    'energy',
    '--budgets',
    '4x',
    '--limit-train',
    '600',
    '--limit-test',
    '100',
    '--epochs',
    '1',
    '--out',
    path.join(root, 'cli'),
    '--json',
    ...extra,
  ];

  it('refuses it without fine-tuning, before training anything (exit 2)', async () => {
    const r = await runInProcess(args(['--finetune-lr', 'auto', '--finetune-epochs', '0']));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--finetune-lr auto .*--finetune-epochs ≥ 1/);
    await expect(fs.readdir(path.join(root, 'cli'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stores the choice in config.json, every cell spec carries it, and the cell records its probes', async () => {
    const r = await runInProcess(args(['--finetune-lr', 'auto', '--finetune-epochs', '1']));
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const config = JSON.parse(await fs.readFile(path.join(runDir, 'config.json'), 'utf8')) as SweepConfig;
    expect(config.finetuneLr).toBe('auto');
    expect(sweepCellSpecs(config, runDir).map((c) => c.finetuneLr)).toEqual(['auto']);
    const cell = JSON.parse(await fs.readFile(path.join(runDir, 'sweep.jsonl'), 'utf8')) as {
      details?: { finetuneLr?: { lr: number; trials: unknown[] } };
    };
    expect(cell.details?.finetuneLr?.trials?.length).toBeGreaterThanOrEqual(3);
    // Its results row is a protocol of its own (never replaces a fixed-lr row) and gives the lr chosen.
    const out = path.join(root, 'cli-results.json');
    expect((await runInProcess(['results', runDir, '--out', out])).code).toBe(0);
    const [row] = JSON.parse(await fs.readFile(out, 'utf8')) as Record<string, unknown>[];
    expect(row?.settings).toBe('--finetune-lr auto');
    expect(row?.finetune_lr).toEqual([cell.details?.finetuneLr?.lr]);
  });
});

describe('tnzip compress --finetune-lr auto', () => {
  it('fine-tunes at the chosen lr, reports the probes in results.json and keeps the choice in lr-choice.json for --resume', async () => {
    const r = await runInProcess([
      'compress',
      '--model',
      'lenet300',
      '--epochs',
      '1',
      '--limit-train',
      '600',
      '--limit-test',
      '100',
      '--method',
      'energy',
      '--budget',
      '4x',
      '--finetune-epochs',
      '1',
      '--finetune-lr',
      'auto',
      '--no-latency',
      '--out',
      path.join(root, 'compress'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const results = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as {
      finetuneLr?: { lr: number; trials: { lr: number; valAcc: number | null }[] };
    };
    const choice = results.finetuneLr;
    expect(choice?.trials.slice(0, 3).map((t) => t.lr)).toEqual([0.01, 0.01 / Math.sqrt(10), 0.001]);
    expect(JSON.parse(await fs.readFile(path.join(runDir, 'lr-choice.json'), 'utf8'))).toEqual(choice);
    expect(r.stderr).toMatch(/fine-tuning lr \S+, chosen on 50 held-out training images/);
  });
});
