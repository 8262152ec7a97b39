import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import type { SweepCell } from './commands/sweep.js';
import type { Results } from './results.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-sweep-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const TINY = ['--limit-train', '300', '--limit-test', '200', '--no-latency'];

async function cellsOf(runDir: string): Promise<SweepCell[]> {
  return (await fs.readFile(path.join(runDir, 'sweep.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepCell);
}

describe('tnzip sweep (real MNIST, 300 images)', () => {
  let runDir = '';

  it('runs 2 methods × 2 budgets on one dense model, records the unreachable budget as failed, writes the files', async () => {
    const r = await runInProcess([
      'sweep',
      '--model',
      'lenet300',
      '--methods',
      'greedy,uniform',
      '--budgets',
      '4x,100000x',
      '--epochs',
      '1',
      '--finetune-epochs',
      '1',
      '--out',
      path.join(root, 'runs'),
      '--json',
      ...TINY.filter((t) => t !== '--no-latency'),
    ]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
    const cells = await cellsOf(runDir);
    expect(cells.map((c) => `${c.method} ${c.budget} ${c.status}`)).toEqual([
      'greedy 4x ok',
      'greedy 100000x failed',
      'uniform 4x ok',
      'uniform 100000x failed',
    ]);
    for (const c of cells.filter((x) => x.status === 'ok')) {
      // Every cell compares against the same dense model.
      expect(c.denseAcc).toBe(cells[0]?.denseAcc);
      expect(c.paramsRatioLayers).toBeGreaterThanOrEqual(4 * (1 - 1e-9));
      expect(c.paramsRatioNet).toBeGreaterThan(1);
      expect(c.testAcc).toBeGreaterThanOrEqual(0);
      expect(c.searchSeconds).toBeGreaterThanOrEqual(0);
      expect(c.finetuneSeconds).toBeGreaterThan(0);
      // One fine-tuning epoch: its test accuracy is the cell's.
      expect(c.finetuneTestAcc).toEqual([c.testAcc]);
    }
    for (const c of cells.filter((x) => x.status === 'failed')) expect(c.error).toMatch(/INVALID_BUDGET/);
    const md = await fs.readFile(path.join(runDir, 'sweep.md'), 'utf8');
    expect(md).toMatch(/\| lenet300 \| greedy \| 4x \|/);
    expect(md).toMatch(/failed: INVALID_BUDGET/);
    expect(md).toMatch(/## Along fine-tuning/);
    expect(md).toMatch(/\| lenet300 \| mnist \| uniform \| 4x \| 1 \| [\d.]+ ± 0\.00 \| [\d.]+ ± 0\.00 \|/);
    expect(md).toMatch(/!\[finetune-lenet300-mnist-4x\.svg\]/);
    const json = JSON.parse(await fs.readFile(path.join(runDir, 'sweep.json'), 'utf8')) as { cells: SweepCell[] };
    expect(json.cells).toHaveLength(4);
    for (const f of ['pareto-lenet300-params.svg', 'pareto-lenet300-macs.svg']) {
      const svg = await fs.readFile(path.join(runDir, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toMatch(/greedy/);
      expect(svg).toMatch(/uniform/);
    }
  });

  it('--resume skips the finished cells and reruns only the missing one', async () => {
    const before = await cellsOf(runDir);
    // An interrupted sweep: the last cell never finished.
    await fs.writeFile(
      path.join(runDir, 'sweep.jsonl'),
      before
        .slice(0, 3)
        .map((c) => `${JSON.stringify(c)}\n`)
        .join(''),
    );
    const r = await runInProcess(['sweep', '--resume', runDir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/4 cells, 3 already done/);
    expect(r.stderr).toMatch(/\[4\/4\] lenet300 uniform 100000x/);
    expect(r.stderr).not.toMatch(/greedy 4x:/);
    const after = await cellsOf(runDir);
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after[3]?.method).toBe('uniform');
    expect(after[3]?.status).toBe('failed');
  });

  it('--resume SWEEP_JSON restores a sweep whose run directory is gone and reruns only the missing cell', async () => {
    // What a later session has: the committed sweep.json of a partial sweep, no run or parents directory.
    const summary = JSON.parse(await fs.readFile(path.join(runDir, 'sweep.json'), 'utf8')) as {
      cells: SweepCell[];
      parents: { testAcc: number }[];
    };
    const committed = path.join(root, 'committed');
    await fs.mkdir(committed);
    const partial = { ...summary, cells: summary.cells.filter((c) => !(c.method === 'greedy' && c.budget === '4x')) };
    await fs.writeFile(path.join(committed, 'sweep.json'), JSON.stringify(partial));
    const out = path.join(root, 'restored');
    const r = await runInProcess(['sweep', '--resume', path.join(committed, 'sweep.json'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 cells, 3 already done/);
    expect(r.stderr).not.toMatch(/uniform 4x:/);
    const [restored] = await fs.readdir(out);
    const cells = await cellsOf(path.join(out, restored as string));
    // The parent was retrained in the new run (deterministically: the same accuracy) and the cell rerun.
    const rerun = cells.find((c) => c.method === 'greedy' && c.budget === '4x');
    const before = summary.cells.find((c) => c.method === 'greedy' && c.budget === '4x');
    expect(rerun?.testAcc).toBe(before?.testAcc);
    expect(rerun?.modelDir).toBeDefined();
    expect(cells.filter((c) => c.modelDir === undefined).map((c) => `${c.method} ${c.budget}`)).toEqual([
      'greedy 100000x',
      'uniform 4x',
      'uniform 100000x',
    ]);
    // A parent that is not the one the restored cells ran on is refused, before any cell runs.
    const first = partial.parents[0] as { testAcc: number };
    const other = { ...partial, parents: [{ ...first, testAcc: first.testAcc + 0.01 }] };
    await fs.writeFile(path.join(committed, 'sweep.json'), JSON.stringify(other));
    const bad = await runInProcess(['sweep', '--resume', path.join(committed, 'sweep.json'), '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/tnzip: error: restored sweep .*dense parent lenet300 mnist seed 0 now reaches/);
  });

  it('rejects bad sweep arguments with a usage error before creating a run', async () => {
    const out = path.join(root, 'bad');
    for (const args of [
      ['--model', 'lenet300', '--budgets', '4x', '--methods', 'nope'],
      ['--model', 'lenet300'],
      ['--model', 'lenet300', '--budgets', '0'],
      ['--model', 'lenet300,lenet5', '--budgets', '4x', '--dense-from', 'x'],
    ]) {
      const r = await runInProcess(['sweep', ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/tnzip: error: /);
    }
    await expect(fs.access(out)).rejects.toThrow();
  });
});

describe('tnzip compress reaches every method (real MNIST, 300 images)', () => {
  let dense = '';
  beforeAll(async () => {
    const r = await runInProcess([
      'train',
      '--model',
      'lenet300',
      '--epochs',
      '1',
      '--out',
      path.join(root, 'm'),
      '--json',
      ...TINY.filter((t) => t !== '--no-latency'),
    ]);
    expect(r.code).toBe(0);
    dense = (JSON.parse(r.stdout) as { runDir: string }).runDir;
  });

  const cases: Array<[string, string[], RegExp]> = [
    ['batude', ['--batude-epochs', '1', '--batude-update-every', '3', '--budget', '2x'], /^tucker2|tt|dense$/],
    ['lwiq', ['--calibration-size', '100', '--budget', '4x'], /^tt|dense$/],
    ['proxy-search', ['--calibration-size', '100', '--proxy-candidates', '4', '--budget', '4x'], /^tt|dense$/],
    ['ada', ['--ada-init', 'random', '--budget', '20x'], /^ada-tucker$/],
    ['scada', ['--ada-order', '3', '--budget', '20x'], /^scada-tucker$/],
  ];
  for (const [method, flags, kinds] of cases) {
    it(`--method ${method}`, async () => {
      const r = await runInProcess([
        'compress',
        '--from',
        dense,
        '--method',
        method,
        ...flags,
        '--out',
        path.join(root, 'c'),
        '--json',
        ...TINY,
      ]);
      expect(r.stderr).not.toMatch(/tnzip: error/);
      expect(r.code).toBe(0);
      const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
      const res = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
      expect(res.selection?.method).toBe(method);
      expect(res.selection?.achieved).toBeLessThanOrEqual(res.selection?.budget.target as number);
      for (const l of res.selection?.layers ?? []) expect(l.plan.kind).toMatch(kinds);
      expect(res.timing?.searchSeconds).toBeGreaterThanOrEqual(0);
      expect(res.timing?.finetuneSeconds).toBeGreaterThan(0);
      const md = await fs.readFile(path.join(runDir, 'report.md'), 'utf8');
      expect(md).toMatch(/Rank search: [\d.]+ s; fine-tuning: [\d.]+ s\./);
    });
  }

  it('--method batude with --finetune-epochs 0 trains its phase with the fine-tuning recipe', async () => {
    const flags = ['--method', 'batude', '--batude-epochs', '1', '--batude-update-every', '3', '--budget', '2x'];
    const r = await runInProcess([
      'compress',
      '--from',
      dense,
      ...flags,
      '--out',
      path.join(root, 'c0'),
      '--json',
      ...TINY,
      '--finetune-epochs',
      '0',
    ]);
    expect(r.stderr).not.toMatch(/tnzip: error/);
    expect(r.code).toBe(0);
  });

  it('--scope model budgets the whole network; the report gives both ratios', async () => {
    const r = await runInProcess([
      'compress',
      '--from',
      dense,
      '--method',
      'energy',
      '--budget',
      '3x',
      '--scope',
      'model',
      '--finetune-epochs',
      '0',
      '--out',
      path.join(root, 'c'),
      '--json',
      ...TINY,
    ]);
    expect(r.code).toBe(0);
    const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
    const res = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    const sel = res.selection;
    expect(sel?.budget.scope).toBe('model');
    expect(sel?.achieved).toBe(sel?.achievedModel);
    expect(sel?.achievedModel).toBeLessThanOrEqual(1 / 3);
    expect(sel?.achievedLayers).toBeLessThan(sel?.achievedModel as number); // fc3 stays dense
    // The whole model's parameters as saved: within 5 % of the budget, not starved.
    expect((res.dense?.params as number) / (res.compressed?.params as number)).toBeGreaterThanOrEqual(3 * (1 - 1e-9));
    expect((res.dense?.params as number) / (res.compressed?.params as number)).toBeLessThan(3 / 0.95);
  });

  it('--help lists every method, [P] marking the reconstructions', async () => {
    const r = await runInProcess(['compress', '--help']);
    for (const m of ['uniform', 'energy', 'vbmf', 'greedy', 'batude', 'lwiq', 'proxy-search', 'ada', 'scada'])
      expect(r.stdout).toMatch(new RegExp(`^  ${m} `, 'm'));
    expect(r.stdout.match(/\[P\]/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('ada/scada reject --format; lwiq rejects an unknown format', async () => {
    const a = await runInProcess(['compress', '--from', dense, '--method', 'ada', '--format', 'tt', ...TINY]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--method ada plans its own ADA-Tucker format/);
  });

  it('sweep --format tt gives every method that format (the baselines beside LWIQ); ada refuses it', async () => {
    const out = path.join(root, 'fmt');
    const base = ['sweep', '--model', 'lenet300', '--dense-from', dense, '--budgets', '4x', '--finetune-epochs', '0'];
    const tiny = TINY.filter((t) => t !== '--no-latency');
    const r = await runInProcess([
      ...base,
      '--methods',
      'energy,uniform',
      '--format',
      'tt',
      '--out',
      out,
      '--json',
      ...tiny,
    ]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const cells = await cellsOf((JSON.parse(r.stdout) as { runDir: string }).runDir);
    expect(cells.map((c) => `${c.method} ${c.format} ${c.status}`)).toEqual(['energy tt ok', 'uniform tt ok']);
    for (const c of cells) for (const p of Object.values(c.plan ?? {})) expect(p.kind).toBe('tt');
    const a = await runInProcess([...base, '--methods', 'energy,ada', '--format', 'tt', '--out', out, ...tiny]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--method ada plans its own ADA-Tucker format/);
  });
});

describe('tnzip compress and tnzip sweep: one pipeline (real MNIST, 300 images, LeNet-5)', () => {
  it('give the same model for the same method, budget and seed (LWIQ at 4x and BATUDE at 2x)', async () => {
    const flags = [
      '--limit-train',
      '300',
      '--limit-test',
      '200',
      '--finetune-epochs',
      '1',
      '--calibration-size',
      '100',
    ];
    const methods: Array<[string, string, string[]]> = [
      ['lwiq', '4x', []],
      ['batude', '2x', ['--batude-update-every', '3', '--batude-epochs', '1']],
    ];
    // compress trains the dense model itself (as the main job does) …
    const compressed: Results[] = [];
    let denseDir = '';
    for (const [method, budget, extra] of methods) {
      const r = await runInProcess([
        'compress',
        ...(denseDir === '' ? ['--model', 'lenet5', '--epochs', '1'] : ['--from', denseDir]),
        '--method',
        method,
        '--budget',
        budget,
        ...extra,
        ...flags,
        '--no-latency',
        '--out',
        path.join(root, 'same-c'),
        '--json',
      ]);
      expect(r.stderr).not.toMatch(/tnzip: error/);
      expect(r.code).toBe(0);
      const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
      if (denseDir === '') denseDir = path.join(runDir, 'dense', 'model');
      compressed.push(JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results);
    }
    // … the sweep loads that dense model and runs both cells.
    const s = await runInProcess([
      'sweep',
      '--model',
      'lenet5',
      '--dense-from',
      denseDir,
      '--methods',
      'lwiq,batude',
      '--budgets',
      '4x,2x',
      '--batude-update-every',
      '3',
      '--batude-epochs',
      '1',
      ...flags,
      '--out',
      path.join(root, 'same-s'),
      '--json',
    ]);
    expect(s.code).toBe(0);
    const cells = await cellsOf((JSON.parse(s.stdout) as { runDir: string }).runDir);
    methods.forEach(([method, budget], k) => {
      const cell = cells.find((c) => c.method === method && c.budget === budget);
      const res = compressed[k] as Results;
      expect(cell?.status, `${method} ${budget}`).toBe('ok');
      expect(cell?.plan).toEqual(Object.fromEntries((res.selection?.layers ?? []).map((l) => [l.layer, l.plan])));
      expect(cell?.params).toBe(res.compressed?.params);
      expect(cell?.macs).toBe(res.compressed?.macs);
      expect(cell?.beforeFinetuneAcc).toBe(res.beforeFinetune?.testAcc);
      expect(cell?.testAcc).toBe(res.compressed?.testAcc);
    });
    // LWIQ spends its 4x budget of the compressed layers (it landed at 12.3x through compress before).
    const lwiq = cells.find((c) => c.method === 'lwiq');
    expect(lwiq?.paramsRatioLayers).toBeGreaterThanOrEqual(4 * (1 - 1e-9));
    expect(lwiq?.paramsRatioLayers).toBeLessThan(4 / 0.95);
  }, 600_000);

  it('give the same model for proxy-search (seeded candidates) at 4x on LeNet-300-100', async () => {
    const flags = [
      '--limit-train',
      '300',
      '--limit-test',
      '200',
      '--finetune-epochs',
      '1',
      '--calibration-size',
      '100',
    ];
    const knobs = ['--proxy-candidates', '6'];
    const r = await runInProcess([
      'compress',
      ...['--model', 'lenet300', '--epochs', '1', '--method', 'proxy-search', '--budget', '4x'],
      ...knobs,
      ...flags,
      ...['--no-latency', '--out', path.join(root, 'proxy-c'), '--json'],
    ]);
    expect(r.stderr).not.toMatch(/tnzip: error/);
    expect(r.code).toBe(0);
    const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
    const res = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    const s = await runInProcess([
      'sweep',
      ...['--model', 'lenet300', '--dense-from', path.join(runDir, 'dense', 'model')],
      ...['--methods', 'proxy-search', '--budgets', '4x'],
      ...knobs,
      ...flags,
      ...['--out', path.join(root, 'proxy-s'), '--json'],
    ]);
    expect(s.code).toBe(0);
    const cell = (await cellsOf((JSON.parse(s.stdout) as { runDir: string }).runDir))[0];
    expect(cell?.status).toBe('ok');
    expect(cell?.plan).toEqual(Object.fromEntries((res.selection?.layers ?? []).map((l) => [l.layer, l.plan])));
    expect(cell?.params).toBe(res.compressed?.params);
    expect(cell?.testAcc).toBe(res.compressed?.testAcc);
  }, 600_000);
});
