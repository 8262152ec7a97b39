import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import { type SweepConfig, sweepCellSpecs } from './commands/sweep.js';
import { cellKey, type SweepCell, specKey } from './sweep-cell.js';
import type { DenseParent } from './sweep-parent.js';
import { meanStd, type SweepSummaryRow } from './sweep-summary.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-seeds-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const TINY = ['--limit-train', '300', '--limit-test', '200', '--epochs', '1', '--finetune-epochs', '1'];

async function cellsOf(runDir: string): Promise<SweepCell[]> {
  return (await fs.readFile(path.join(runDir, 'sweep.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepCell);
}

describe('tnzip sweep --seeds (real MNIST, 300 images)', () => {
  let runDir = '';

  it('trains one parent per seed, runs every cell per seed, and tables mean ± std over the seeds', async () => {
    const r = await runInProcess([
      'sweep',
      '--model',
      'lenet300',
      '--dataset',
      'mnist',
      '--seeds',
      '0,1',
      '--methods',
      'energy',
      '--budgets',
      '4x',
      ...TINY,
      '--out',
      path.join(root, 'runs'),
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/tnzip: error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runDir: string; parents: DenseParent[]; summary: SweepSummaryRow[] };
    runDir = out.runDir;
    const cells = await cellsOf(runDir);
    expect(cells.map((c) => `${c.dataset} ${c.seed} ${c.status}`)).toEqual(['mnist 0 ok', 'mnist 1 ok']);
    // The specs a queue would enqueue are the cells the sweep ran, in its order.
    const config = JSON.parse(await fs.readFile(path.join(runDir, 'config.json'), 'utf8')) as SweepConfig;
    expect(sweepCellSpecs(config, runDir).map(specKey)).toEqual(
      cells.map((c) => cellKey({ ...c, dataset: c.dataset as string, seed: c.seed as number })),
    );
    // Each seed has its own parent: its own directory, its own accuracy as the cell's reference.
    expect(out.parents.map((p) => p.seed)).toEqual([0, 1]);
    expect(new Set(out.parents.map((p) => p.dir)).size).toBe(2);
    expect(cells.map((c) => c.denseAcc)).toEqual(out.parents.map((p) => p.testAcc));
    const parentDirs = (await fs.readdir(path.join(runDir, 'parents'))).sort();
    expect(parentDirs).toEqual([
      expect.stringMatching(/^lenet300-mnist-seed0-/),
      expect.stringMatching(/^lenet300-mnist-seed1-/),
    ]);
    // The recipe target is reported for each parent, not enforced (1 epoch on 300 images misses it).
    for (const p of out.parents) expect(p).toMatchObject({ target: 0.98, reachedTarget: false });
    expect(r.stderr).toMatch(/dense lenet300 mnist seed 1: test acc [\d.]+%; recipe target 98\.0% NOT reached/);
    // The summary row is the mean and sample std of the two cells.
    const acc = meanStd(cells.map((c) => c.testAcc as number));
    expect(out.summary).toHaveLength(1);
    expect(out.summary[0]?.seedsOk).toEqual([0, 1]);
    expect(out.summary[0]?.testAcc?.mean).toBeCloseTo(acc?.mean as number, 12);
    expect(out.summary[0]?.testAcc?.std).toBeCloseTo(acc?.std as number, 12);
    expect(out.summary[0]?.storageRatio).toBeGreaterThan(1);
    const md = await fs.readFile(path.join(runDir, 'sweep.md'), 'utf8');
    const pm = `${(100 * (acc?.mean as number)).toFixed(2)} ± ${(100 * (acc?.std as number)).toFixed(2)}%`;
    expect(md).toContain(`| lenet300 | mnist | energy | 4x | 2/2 |`);
    expect(md).toContain(pm);
    expect(md).toMatch(
      /\| lenet300 \| mnist \| 1 \| trained \| recipes\.lenet300, 1 \| [\d.]+% \(200 images\) \| 98\.0% \| no \|/,
    );
    // report.html tells the seeds' cells apart.
    const html = await fs.readFile(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toMatch(/<th[^>]*>seed<\/th>/);
  }, 120_000);

  it('--resume reruns only the missing seed cell and reuses both parents', async () => {
    const before = await cellsOf(runDir);
    const parentFiles = (await fs.readdir(path.join(runDir, 'parents'))).map((d) =>
      path.join(runDir, 'parents', d, 'parent.json'),
    );
    const mtimes = await Promise.all(parentFiles.map(async (f) => (await fs.stat(f)).mtimeMs));
    await fs.writeFile(path.join(runDir, 'sweep.jsonl'), `${JSON.stringify(before[0])}\n`);
    const r = await runInProcess(['sweep', '--resume', runDir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 cells, 1 already done/);
    expect(r.stderr).toMatch(/\[2\/2\] lenet300 energy 4x seed 1/);
    const after = await cellsOf(runDir);
    expect(after[0]).toEqual(before[0]);
    const { finishedAt: _a, searchSeconds: _b, finetuneSeconds: _c, ...again } = after[1] as SweepCell;
    const { finishedAt: _d, searchSeconds: _e, finetuneSeconds: _f, ...first } = before[1] as SweepCell;
    expect(again).toEqual(first); // the same seed gives the same cell
    expect(await Promise.all(parentFiles.map(async (f) => (await fs.stat(f)).mtimeMs))).toEqual(mtimes);
  }, 120_000);

  it('runs on Fashion-MNIST (no recipe target there)', async () => {
    const r = await runInProcess([
      'sweep',
      '--model',
      'lenet300',
      '--dataset',
      'fashion-mnist',
      '--seeds',
      '3',
      '--methods',
      'uniform',
      '--budgets',
      '4x',
      ...TINY,
      '--out',
      path.join(root, 'fashion'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runDir: string; parents: DenseParent[] };
    expect(out.parents).toEqual([expect.objectContaining({ dataset: 'fashion-mnist', seed: 3, target: null })]);
    expect((await cellsOf(out.runDir)).map((c) => `${c.dataset} ${c.seed} ${c.status}`)).toEqual([
      'fashion-mnist 3 ok',
    ]);
  }, 120_000);

  it('rejects bad protocol flags with a usage error before any work', async () => {
    const out = path.join(root, 'bad');
    const cases: Array<[string[], RegExp]> = [
      [['--model', 'resnet20', '--dataset', 'cifar10'], /--dataset cifar10 needs --data-dir DIR/],
      [['--model', 'lenet300', '--seeds', '0,0'], /--seeds names a seed twice/],
      [['--model', 'lenet300', '--seeds', '0,x'], /--seeds must be an integer/],
      [['--model', 'lenet300', '--seeds', '0,1', '--seed', '2'], /give --seeds or --seed, not both/],
      [['--model', 'lenet300', '--seeds', '0,1', '--dense-from', root], /--dense-from gives one parent per --model/],
      [['--model', 'lenet300', '--dataset', 'svhn'], /dataset/],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(['sweep', ...args, '--methods', 'energy', '--budgets', '4x', '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    await expect(fs.access(out)).rejects.toThrow();
  });

  it('rejects a model, method or budget named twice (4x and 0.25 are one budget) before any work', async () => {
    const out = path.join(root, 'twice');
    const cases: Array<[string[], RegExp]> = [
      [['--model', 'lenet300,lenet300', '--methods', 'energy', '--budgets', '4x'], /--model names 'lenet300' twice/],
      [
        ['--model', 'lenet300', '--methods', 'energy,uniform,energy', '--budgets', '4x'],
        /--methods names 'energy' twice/,
      ],
      [['--model', 'lenet300', '--methods', 'energy', '--budgets', '4x,2x,4x'], /--budgets names '4x' twice/],
      [
        ['--model', 'lenet300', '--methods', 'energy', '--budgets', '4x,0.25'],
        /--budgets names one value twice: '4x' and '0.25' are the same/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(['sweep', ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    await expect(fs.access(out)).rejects.toThrow();
  });
});
