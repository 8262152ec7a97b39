import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeIdx } from '@tnzip/data';
import { save } from '@tnzip/layers';
import { createModel } from '@tnzip/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runInProcess, snapshot, spawnCli, writeIdxMnist } from './cli.test-util.js';

let root: string;
let out: string;
let existing: string;
let before: Map<string, string>;
const dirs: Record<string, string> = {};

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-cli-errors-'));
  out = path.join(root, 'runs');
  // A finished-looking run directory that no failing command may touch.
  existing = path.join(out, '20240101-000000-train-lenet5');
  await fs.mkdir(path.join(existing, 'model'), { recursive: true });
  await fs.writeFile(path.join(existing, 'config.json'), '{"command":"train"}\n');
  await fs.writeFile(path.join(existing, 'metrics.jsonl'), '{"type":"epoch","epoch":0}\n');
  await fs.writeFile(path.join(existing, 'model', 'weights.bin'), new Uint8Array([1, 2, 3]));
  before = await snapshot(out);

  dirs.badMagic = path.join(root, 'bad-magic');
  await writeIdxMnist(dirs.badMagic, 20);
  const f = path.join(dirs.badMagic, 'train-images-idx3-ubyte');
  const bytes = await fs.readFile(f);
  bytes[2] = 0x42; // the type byte of the magic number 0x00000803
  await fs.writeFile(f, bytes);

  dirs.truncated = path.join(root, 'truncated');
  await writeIdxMnist(dirs.truncated, 20);
  const g = path.join(dirs.truncated, 'train-images-idx3-ubyte');
  const full = await fs.readFile(g);
  await fs.writeFile(g, full.subarray(0, full.length - 100));

  dirs.file = path.join(root, 'a-file');
  await fs.writeFile(dirs.file, 'not a directory');

  // Test images of another shape (32×32) than the training images (28×28).
  dirs.oddTest = path.join(root, 'odd-test');
  await writeIdxMnist(dirs.oddTest, 20);
  await fs.writeFile(
    path.join(dirs.oddTest, 't10k-images-idx3-ubyte'),
    encodeIdx([20, 32, 32], new Uint8Array(20 * 32 * 32)),
  );

  // Model files: a valid LeNet-300 and hand-edited copies.
  dirs.model = path.join(root, 'model');
  await tf.setBackend('cpu');
  const net = createModel('lenet300', { seed: 1 });
  await save(net, dirs.model, { inputShape: [28, 28, 1], meta: { model: 'lenet300', dataset: 'mnist' } });
  net.dispose();
  const json = JSON.parse(await fs.readFile(path.join(dirs.model, 'model.json'), 'utf8'));
  const edit = async (name: string, change: (arch: { children: Array<Record<string, unknown>> }) => void) => {
    const d = path.join(root, name);
    await fs.mkdir(d);
    const arch = structuredClone(json.architecture);
    change(arch);
    await fs.writeFile(path.join(d, 'model.json'), JSON.stringify({ ...json, architecture: arch }));
    await fs.copyFile(path.join(dirs.model as string, 'weights.bin'), path.join(d, 'weights.bin'));
    dirs[name] = d;
  };
  const linear = (arch: { children: Array<Record<string, unknown>> }) =>
    arch.children.find((c) => c.kind === 'linear') as Record<string, unknown>;
  await edit('negativeDims', (a) => {
    linear(a).outFeatures = -300;
  });
  await edit('duplicateNames', (a) => {
    const names = a.children.map((c) => c.name);
    (a.children[a.children.length - 1] as Record<string, unknown>).name = names[1];
  });
  await edit('inflated', (a) => {
    linear(a).outFeatures = 1_000_000;
  });
  // Run directories whose config.json never ends (a device) or is larger than any config.
  dirs.endless = path.join(root, 'endless-run');
  await fs.mkdir(dirs.endless);
  await fs.symlink('/dev/zero', path.join(dirs.endless, 'config.json'));
  dirs.hugeConfig = path.join(root, 'huge-config-run');
  await fs.mkdir(dirs.hugeConfig);
  const h = await fs.open(path.join(dirs.hugeConfig, 'config.json'), 'w');
  await h.truncate(65 * 2 ** 20); // sparse: no disk used
  await h.close();
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const train = (...extra: string[]): string[] => [
  'train',
  '--model',
  'lenet300',
  '--epochs',
  '1',
  '--out',
  out,
  ...extra,
];
const compress = (...extra: string[]): string[] => ['compress', '--model', 'lenet300', '--out', out, ...extra];

/** [name, argv, exit code, a fragment the message must contain]. */
const CASES: ReadonlyArray<readonly [string, () => string[], number, RegExp]> = [
  [
    'missing dataset directory',
    () => train('--data-dir', path.join(root, 'nope')),
    3,
    /dataset directory not found: .*nope/,
  ],
  [
    'wrong IDX magic number',
    () => train('--data-dir', dirs.badMagic as string),
    3,
    /train-images-idx3-ubyte.*magic|magic.*train-images/i,
  ],
  [
    'truncated IDX file',
    () => train('--data-dir', dirs.truncated as string),
    3,
    /train-images-idx3-ubyte.*truncated|truncated.*train-images/i,
  ],
  ['unknown model', () => ['train', '--model', 'lenet7', '--out', out], 2, /unknown model 'lenet7'.*lenet5/],
  ['unknown method', () => compress('--method', 'magic'), 2, /unknown method 'magic'.*greedy/],
  ['budget 0', () => compress('--budget', '0'), 2, /--budget '0'/],
  ['budget 1.5', () => compress('--budget', '1.5'), 2, /--budget '1.5'/],
  ['budget abc', () => compress('--budget', 'abc'), 2, /--budget 'abc'/],
  ['epochs -1', () => train('--epochs', '-1'), 2, /--epochs must be an integer in \[1, 100000\], got '-1'/],
  [
    'unwritable output directory',
    () => ['train', '--model', 'lenet300', '--limit-train', '50', '--out', path.join(dirs.file as string, 'runs')],
    3,
    /output directory .*a-file.*not writable/,
  ],
  ['unknown command', () => ['trian'], 2, /unknown command 'trian'/],
  ['unknown flag', () => ['train', '--modle', 'lenet5'], 2, /unknown option '--modle'/],
  [
    'unreachable budget (known from the architecture, before training)',
    () => compress('--budget', '1e-12', '--data-dir', dirs.truncated as string),
    2,
    /--budget 1e-12 is unreachable for lenet300 .*allowed \[0\.\d+, 1\] as a fraction, or up to \d+\.\d+x/,
  ],
  [
    'latency budget far beyond the fastest plan (timed on the untrained architecture, before training)',
    () => compress('--metric', 'latency', '--budget', '1000x'),
    2,
    /--budget 1000x: latency target 0\.001 \(1\.00e\+3x faster\) is out of reach at batch 64: with every rank at 1 \(tucker2\) the whole model still takes [0-9.]+ of the dense time \(at most [0-9.]+x faster\)/,
  ],
  [
    'a latency budget for a method that selects by training (BATUDE)',
    () => compress('--method', 'batude', '--metric', 'latency', '--budget', '1.5x'),
    2,
    /--metric latency cannot be used with --method batude: it selects by training/,
  ],
  [
    'test images of another shape than the training images',
    () => train('--data-dir', dirs.oddTest as string),
    3,
    /t10k-images-idx3-ubyte: test images are \[32, 32\], the training images \[28, 28\]/,
  ],
  [
    '--out on procfs (a recursive mkdir spins there)',
    () => train('--out', '/proc/forbidden/runs'),
    3,
    /--out: .*\/proc\/forbidden/,
  ],
  [
    '--out checked before the dataset is read past its headers',
    () => [
      'train',
      '--model',
      'lenet300',
      '--data-dir',
      dirs.truncated as string,
      '--out',
      path.join(dirs.file as string, 'x'),
    ],
    3,
    /--out: output directory .*a-file/,
  ],
  [
    'export --out on procfs (a recursive mkdir spins there)',
    () => ['export', dirs.model as string, '--to', 'onnx', '--out', '/proc/forbidden/export'],
    3,
    /cannot create directory '\/proc\/forbidden\/export'/,
  ],
  [
    'resume a run whose config.json is a device (it would never end)',
    () => ['train', '--resume', dirs.endless as string],
    3,
    /cannot read run config '.*endless-run\/config\.json': not a regular file/,
  ],
  [
    'resume a run whose config.json is over 64 MiB (refused before reading)',
    () => ['sweep', '--resume', dirs.hugeConfig as string],
    3,
    /cannot read sweep config '.*config\.json': 68157440 bytes, at most 67108864 allowed/,
  ],
  ['model.json with negative dims', () => ['eval', dirs.negativeDims as string], 3, /model\.json: .*outFeatures.*-300/],
  [
    'model.json with duplicate layer names',
    () => ['eval', dirs.duplicateNames as string],
    3,
    /model\.json: two layers .*named/,
  ],
  [
    'model.json whose architecture disagrees with its manifest',
    () => ['compress', '--from', dirs.inflated as string, '--out', out],
    3,
    /model\.json: weight '.*' has shape \[\d+, \d+\] in the manifest, the architecture expects \[\d+, 1000000\]/,
  ],
  [
    'resume of a missing run',
    () => ['train', '--resume', path.join(root, 'no-run')],
    3,
    /no-run.*config\.json|config\.json.*no-run/,
  ],
];

function checkOneLine(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith('tnzip: error: '));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
}

describe('bad input: one line on stderr, the documented exit code, nothing lost', () => {
  for (const [name, argv, code, pattern] of CASES) {
    it(`${name} → exit ${code} (in process, under 5 s)`, async () => {
      const t0 = performance.now();
      const r = await runInProcess(argv());
      expect(performance.now() - t0).toBeLessThan(5000);
      checkOneLine(r, code, pattern);
      expect(await snapshot(out)).toEqual(before);
    });
  }

  it('the same errors from the spawned binary (process exit code and stderr)', async () => {
    const picked = CASES.filter(([n]) =>
      [
        'missing dataset directory',
        'unknown model',
        'budget abc',
        'unwritable output directory',
        'wrong IDX magic number',
        'unreachable budget (known from the architecture, before training)',
        '--out on procfs (a recursive mkdir spins there)',
        'model.json with negative dims',
      ].includes(n),
    );
    const results = await Promise.all(picked.map(([, argv]) => spawnCli(argv(), { cwd: root }).done));
    picked.forEach(([, , code, pattern], i) => {
      checkOneLine(results[i] as CliResult, code, pattern);
    });
    expect(await snapshot(out)).toEqual(before);
    expect(await fs.readdir(out)).toEqual([path.basename(existing)]);
  });
});
