import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import { committedModelName } from './results-from-sweep.js';
import { RESULTS_BEGIN } from './results-md.js';
import { type ResultRow, rowProblems } from './results-rows.js';
import type { SweepCell } from './sweep-cell.js';
import { meanStd } from './sweep-summary.js';

let root: string;
let runDir = '';
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-results-'));
  // 2 seeds × (4x ok, 100000x unreachable); the full test set, so that a model can be committed.
  const r = await runInProcess([
    'sweep',
    '--model',
    'lenet300',
    '--seeds',
    '0,1',
    '--methods',
    'energy',
    '--budgets',
    '4x,100000x',
    '--epochs',
    '1',
    '--finetune-epochs',
    '1',
    '--limit-train',
    '300',
    '--out',
    path.join(root, 'runs'),
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
}, 120_000);
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function cellsOf(dir: string): Promise<SweepCell[]> {
  return (await fs.readFile(path.join(dir, 'sweep.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepCell);
}

describe('tnzip results (real MNIST sweep, 300 training images, 2 seeds)', () => {
  it('writes one row per finished (method, budget) with the issue fields, storage measured from weights.bin', async () => {
    const out = path.join(root, 'results.json');
    const md = path.join(root, 'results.md');
    await fs.writeFile(md, '# Results\n\nHand-written.\n');
    const r = await runInProcess(['results', runDir, '--out', out, '--md', md, '--note', 'smoke run']);
    expect(r.stderr).toMatch(/no row \(no seed finished\): lenet300 energy 100000x: INVALID_BUDGET/);
    expect(r.code).toBe(0);
    const rows = JSON.parse(await fs.readFile(out, 'utf8')) as ResultRow[];
    expect(rows).toHaveLength(1);
    const row = rows[0] as ResultRow;
    expect(rowProblems(row)).toEqual([]);
    expect(row).toMatchObject({
      method: 'energy',
      format: 'tucker2',
      model: 'lenet300',
      dataset: 'mnist',
      budget_metric: 'params',
      budget: 4,
      budget_scope: 'compressible',
      seeds: [0, 1],
      note: 'smoke run',
    });
    expect(row.command).toMatch(/^tnzip sweep --model lenet300 --seeds 0,1 --methods energy --budgets 4x,100000x /);
    // The code that produced it: this checkout's commit (with -dirty when it has uncommitted changes).
    expect(row.commit).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    const cells = (await cellsOf(runDir)).filter((c) => c.status === 'ok');
    const acc = meanStd(cells.map((c) => c.testAcc as number));
    expect(row.accuracy_mean).toBeCloseTo(acc?.mean as number, 12);
    expect(row.accuracy_std).toBeCloseTo(acc?.std as number, 12);
    expect(row.dense_accuracy_mean).toBeCloseTo((meanStd(cells.map((c) => c.denseAcc))?.mean as number) ?? 0, 12);
    // Storage: the bytes of the files on disk, dense parent's weights.bin over each cell's.
    const sizes = await Promise.all(
      cells.map(async (c) => {
        const parent = (await fs.readdir(path.join(runDir, 'parents'))).find((d) => d.includes(`seed${c.seed}-`));
        const dense = await fs.stat(path.join(runDir, 'parents', parent as string, 'model', 'weights.bin'));
        const small = await fs.stat(path.join(runDir, c.modelDir as string, 'weights.bin'));
        return dense.size / small.size;
      }),
    );
    expect(row.storage_ratio).toBeCloseTo(meanStd(sizes)?.mean as number, 12);
    expect(row.param_ratio).toBeGreaterThan(1);
    expect(row.param_ratio_compressible).toBeGreaterThanOrEqual(4 * (1 - 1e-9));
    const page = await fs.readFile(md, 'utf8');
    expect(page.startsWith('# Results\n\nHand-written.')).toBe(true);
    expect(page).toContain(RESULTS_BEGIN);
    expect(page).toMatch(/\| 1 \| lenet300 \| mnist \| energy \| tucker2 \| 4x params \(compressible\) \|/);
  });

  it('merges by key: the same run again replaces its row; the model is committed and tnzip eval reproduces it', async () => {
    const out = path.join(root, 'merge.json');
    const first = (JSON.parse(await fs.readFile(path.join(root, 'results.json'), 'utf8')) as ResultRow[])[0];
    await fs.writeFile(out, `${JSON.stringify([{ ...first, method: 'uniform' }])}\n`);
    const models = path.join(root, 'models');
    for (let k = 0; k < 2; k++) {
      const r = await runInProcess(['results', runDir, '--out', out, '--models-dir', models]);
      expect(r.code, r.stderr).toBe(0);
    }
    const rows = JSON.parse(await fs.readFile(out, 'utf8')) as ResultRow[];
    expect(rows.map((r) => r.method)).toEqual(['uniform', 'energy']);
    const row = rows[1] as ResultRow;
    expect(rowProblems(row)).toEqual([]);
    const ev = await runInProcess(['eval', path.resolve(row.model_dir as string), '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const res = JSON.parse(ev.stdout) as { testAcc?: number; top1?: number; storageRatio: number | null };
    expect(res.testAcc ?? res.top1).toBe(row.model_accuracy);
    // The committed model states its dense parent's weights.bin size: eval gives the storage ratio.
    expect(res.storageRatio).toBeCloseTo(row.storage_ratio, 12);
    expect(path.basename(row.model_dir as string)).toBe('lenet300-mnist-energy-params-4x-seed0');
  });

  it('commits the first seed that has its model directory (cells restored from a sweep.json have none)', async () => {
    const file = path.join(runDir, 'sweep.jsonl');
    const lines = await fs.readFile(file, 'utf8');
    const restored = (await cellsOf(runDir)).map((c) => (c.seed === 0 ? { ...c, modelDir: undefined } : c));
    await fs.writeFile(file, restored.map((c) => `${JSON.stringify(c)}\n`).join(''));
    try {
      const models = path.join(root, 'models-restored');
      const out = path.join(root, 'restored.json');
      const r = await runInProcess(['results', runDir, '--out', out, '--models-dir', models]);
      expect(r.code, r.stderr).toBe(0);
      const [row] = JSON.parse(await fs.readFile(out, 'utf8')) as ResultRow[];
      expect(row?.seeds).toEqual([0, 1]);
      expect(row?.model_seed).toBe(1);
      expect(await fs.readdir(models)).toEqual(['lenet300-mnist-energy-params-4x-seed1']);
    } finally {
      await fs.writeFile(file, lines);
    }
  });

  it('gives a row every commit its cells ran on (a sweep resumed on newer code)', async () => {
    const file = path.join(runDir, 'sweep.jsonl');
    const lines = await fs.readFile(file, 'utf8');
    const cells = await cellsOf(runDir);
    const own = cells[0]?.commit;
    expect(own).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    const older = 'f'.repeat(40);
    const mixed = cells.map((c) => (c.seed === 1 ? { ...c, commit: older } : c));
    await fs.writeFile(file, mixed.map((c) => `${JSON.stringify(c)}\n`).join(''));
    try {
      const out = path.join(root, 'commits.json');
      const r = await runInProcess(['results', runDir, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const [row] = JSON.parse(await fs.readFile(out, 'utf8')) as ResultRow[];
      expect(row?.commit).toBe(`${own}, ${older}`);
    } finally {
      await fs.writeFile(file, lines);
    }
  });

  it("names a committed model after its row, with the method's settings when off their defaults", () => {
    const row = {
      model: 'lenet5',
      dataset: 'mnist',
      method: 'scada',
      budget_metric: 'storage',
    } as unknown as ResultRow;
    expect(committedModelName(row, '691x', 0)).toBe('lenet5-mnist-scada-storage-691x-seed0');
    expect(committedModelName({ ...row, settings: '--ada-init decompose-norm' }, '691x', 2)).toBe(
      'lenet5-mnist-scada-storage-691x-seed2-ada-init-decompose-norm',
    );
  });

  it('refuses bad input with a clear error and leaves the results file as it was', async () => {
    const out = path.join(root, 'keep.json');
    await fs.writeFile(out, '[{"method": "energy"}]\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['results', runDir], 2, /--out FILE is required/],
      [['results', '--out', out], 2, /name at least one sweep run directory/],
      [['results', runDir, '--out', out], 3, /row 0: format must be a non-empty string/],
      [['results', path.join(root, 'nope'), '--out', path.join(root, 'x.json')], 3, /cannot read run config/],
      // A page that cannot be written is refused before the results file is touched.
      [
        ['results', runDir, '--out', out, '--md', '/proc/forbidden/r.md'],
        3,
        /--md: cannot write '\/proc\/forbidden\/r\.md'/,
      ],
      [['results', runDir, '--out', '/proc/forbidden/r.json'], 3, /--out: cannot write '\/proc\/forbidden\/r\.json'/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(message);
    }
    expect(await fs.readFile(out, 'utf8')).toBe('[{"method": "energy"}]\n');
    // A valid results file stays as it was when only the page is unwritable.
    const valid = path.join(root, 'valid.json');
    await fs.copyFile(path.join(root, 'results.json'), valid);
    const before = await fs.readFile(valid, 'utf8');
    const r = await runInProcess([
      'results',
      runDir,
      '--out',
      valid,
      '--md',
      '/proc/forbidden/r.md',
      '--note',
      'other',
    ]);
    expect(r.code).toBe(3);
    expect(await fs.readFile(valid, 'utf8')).toBe(before);
  });
});
