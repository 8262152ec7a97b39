import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
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
    it(`${name} → exit ${code} (in process)`, async () => {
      checkOneLine(await runInProcess(argv()), code, pattern);
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
