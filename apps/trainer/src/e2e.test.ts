import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '@tnzip/backends';
import { writeCifar10Fixture } from '@tnzip/data';
import { load } from '@tnzip/layers';
import type { EpochRecord, MetricsRecord } from '@tnzip/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, spawnCli } from './cli.test-util.js';
import type { Report } from './report.js';
import type { Results } from './results.js';

let root: string;
beforeAll(async () => {
  await useBackend('cpu'); // for the test's own load(); the CLI picks its backend itself
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-e2e-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Well-formed XML, checked by a tag-balance parse (vega writes no comments, CDATA or doctype). */
function wellFormedSvg(text: string): void {
  expect(text.startsWith('<svg')).toBe(true);
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self === '/') continue;
    if (close === '/') expect(stack.pop()).toBe(name);
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
  // Every '<' begins a tag the pattern above accepted.
  const tags = [...text.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)].length;
  expect(text.split('<').length - 1).toBe(tags);
}

async function jsonl(file: string): Promise<MetricsRecord[]> {
  return (await fs.readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsRecord);
}

describe('tiny end to end: train, compress, eval, summary, report (real MNIST, 300 images)', () => {
  let trainRun = '';
  let compressRun = '';

  it('train (spawned binary, --json) writes a complete run directory', async () => {
    const out = path.join(root, 'runs');
    const r = await spawnCli(
      [
        'train',
        '--model',
        'lenet5',
        '--epochs',
        '1',
        '--limit-train',
        '300',
        '--limit-test',
        '200',
        '--log-every',
        '2',
        '--out',
        out,
        '--json',
      ],
      { cwd: root },
    ).done;
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Report & { runDir: string };
    trainRun = res.runDir;
    expect(res.command).toBe('train');
    expect(path.basename(trainRun)).toMatch(/^\d{8}-\d{6}-train-lenet5$/);
    for (const f of [
      'config.json',
      'metrics.jsonl',
      'results.json',
      'report.md',
      'report.json',
      'model/model.json',
      'model/weights.bin',
    ])
      await fs.access(path.join(trainRun, f));
    expect((await fs.readdir(path.join(trainRun, 'checkpoints'))).length).toBeGreaterThan(0);
    const config = JSON.parse(await fs.readFile(path.join(trainRun, 'config.json'), 'utf8'));
    expect(config.train).toMatchObject({
      model: 'lenet5',
      dataset: 'mnist',
      epochs: 1,
      seed: 0,
      recipe: 'recipes.lenet5',
    });
    expect(config.backend.used).toBeTypeOf('string');
    expect(config.versions['@tnzip/train']).toBeTypeOf('string');
    const epochs = (await jsonl(path.join(trainRun, 'metrics.jsonl'))).filter(
      (m): m is EpochRecord => m.type === 'epoch',
    );
    expect(epochs).toHaveLength(1);
    expect(res.results.dense.testAcc).toBe(epochs[0]?.testAcc);
    expect(res.results.dense.params).toBe(431_080);
    expect(res.results.dense.testCount).toBe(200);
    const { model } = await load(path.join(trainRun, 'model'));
    expect(model.namedParameters().length).toBeGreaterThan(0);
    model.dispose();
  });

  it('compress --from the run: ranks within budget, factorized model saved and reloadable', async () => {
    const out = path.join(root, 'runs');
    const r = await runInProcess([
      'compress',
      '--from',
      trainRun,
      '--method',
      'energy',
      '--budget',
      '4x',
      '--limit-train',
      '300',
      '--limit-test',
      '200',
      '--finetune-epochs',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report & { runDir: string };
    compressRun = rep.runDir;
    const res = rep.results as Results;
    expect(res.selection?.method).toBe('energy');
    expect(res.selection?.achieved).toBeLessThanOrEqual(0.25 + 1e-9);
    expect(res.selection?.layers.map((l) => l.layer)).toEqual(['conv2', 'fc1']);
    expect(res.compressed?.params).toBeLessThan(res.dense.params / 3);
    expect(rep.table.map((t) => t.model)).toEqual(['dense', 'compressed']);
    expect(rep.plots).toEqual(['loss.svg', 'accuracy.svg', 'layer-params.svg', 'layer-macs.svg', 'ranks.svg']);
    for (const p of rep.plots) wellFormedSvg(await fs.readFile(path.join(compressRun, p), 'utf8'));
    const loaded = await load(path.join(compressRun, 'model'));
    expect(Object.keys(loaded.plan ?? {})).toEqual(['conv2', 'fc1']);
    loaded.model.dispose();
  });

  it('eval --json of both runs', async () => {
    for (const run of [trainRun, compressRun]) {
      const r = await runInProcess(['eval', run, '--limit-test', '200', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const ev = JSON.parse(r.stdout);
      const results = JSON.parse(await fs.readFile(path.join(run, 'results.json'), 'utf8')) as Results;
      expect(ev.testCount).toBe(200);
      expect(ev.testAcc).toBe((results.compressed ?? results.dense).testAcc);
    }
  });

  it('summary of a model directory and of a zoo model', async () => {
    const r = await runInProcess(['summary', compressRun, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      layers: { name: string; kind: string; ranks: string; params: number }[];
      params: number;
    };
    expect(s.layers.find((l) => l.name === 'conv2')?.kind).toMatch(/tucker/);
    expect(s.layers.find((l) => l.name === 'conv2')?.ranks).not.toBe('');
    expect(s.layers.reduce((a, l) => a + l.params, 0)).toBe(s.params);
    const t = await runInProcess(['summary', '--model', 'lenet5']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/conv2\s+conv2d\s+\[8,8,50\]\s+25,050\s+1,600,000/);
    expect(t.stdout).toMatch(/total\s+431,080\s+2,293,000/);
  });

  it('report re-renders identical tables from the run files', async () => {
    const before = JSON.parse(await fs.readFile(path.join(compressRun, 'report.json'), 'utf8')) as Report;
    await fs.rm(path.join(compressRun, 'report.md'));
    await fs.rm(path.join(compressRun, 'loss.svg'));
    const r = await runInProcess(['report', compressRun, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(r.stdout) as Report;
    expect(after.table).toEqual(before.table);
    expect(await fs.readFile(path.join(compressRun, 'report.md'), 'utf8')).toMatch(/\| compressed \|/);
    wellFormedSvg(await fs.readFile(path.join(compressRun, 'loss.svg'), 'utf8'));
  });
});

describe('CIFAR-10 (generated files in the official binary layout)', () => {
  it('ResNet-20 trains a few steps with decreasing loss', async () => {
    const dir = path.join(root, 'cifar');
    writeCifar10Fixture(dir, { trainPerBatch: 16, test: 16, seed: 3 });
    const r = await runInProcess([
      'train',
      '--model',
      'resnet20',
      '--dataset',
      'cifar10',
      '--data-dir',
      dir,
      '--epochs',
      '3',
      '--batch-size',
      '16',
      '--lr',
      '0.01',
      '--warmup-steps',
      '0',
      '--schedule',
      'constant',
      '--augment',
      'none',
      '--no-latency',
      '--out',
      path.join(root, 'runs-cifar'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    const losses = rep.curves.dense.map((e) => e.trainLoss);
    expect(losses).toHaveLength(3);
    // 80 images of 10 colour-coded classes: each epoch's mean loss falls below the previous one.
    expect(losses[1]).toBeLessThan(losses[0] as number);
    expect(losses[2]).toBeLessThan(losses[1] as number);
    expect(rep.results.dense.testCount).toBe(16);
  });
});
