import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Flatten, factorize, Linear, ReLU, Sequential, save, storedExecution } from '@tnzip/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, spawnCli } from './cli.test-util.js';

/** A small conv net with conv2 as Tucker-2 (a layer with a choice of execution), saved to `dir`. */
async function saveFactorized(dir: string): Promise<void> {
  const dense = new Sequential('net', [
    new Conv2d('conv1', { inChannels: 1, outChannels: 8, kernelSize: 3, padding: 'same', seed: 1 }),
    new ReLU('r1'),
    new Conv2d('conv2', { inChannels: 8, outChannels: 16, kernelSize: 3, padding: 'same', seed: 2 }),
    new ReLU('r2'),
    new Flatten('flat'),
    new Linear('fc', { inFeatures: 16 * 12 * 12, outFeatures: 10, seed: 3 }),
  ]);
  const plan = { conv2: { kind: 'tucker2' as const, rankS: 4, rankT: 4 } };
  const model = factorize(dense, plan);
  await save(model, dir, { plan, inputShape: [12, 12, 1], meta: { dataset: 'mnist' } });
  model.dispose();
  dense.dispose();
}

describe('tnzip executions', () => {
  let root: string;
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-executions-'));
    dir = path.join(root, 'model');
    await saveFactorized(dir);
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('measures and stores the choice under backend@threads; weights.bin and the rest of model.json unchanged', async () => {
    const before = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const weights = await fs.readFile(path.join(dir, 'weights.bin'));
    const run = spawnCli(['executions', dir, '--backend', 'wasm', '--threads', '1', '--rounds', '3', '--json'], {
      cwd: root,
    });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { key: string; stored: boolean; layers: Record<string, { chosen: string[] }> };
    expect(out).toMatchObject({ key: 'wasm@1', stored: true });
    const after = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    const stored = storedExecution(after.meta, 'wasm@1');
    expect(stored?.batches).toEqual([1, 64]);
    expect(Object.keys(stored?.layers ?? {})).toEqual(['conv2']);
    expect(stored?.layers.conv2).toEqual(out.layers.conv2?.chosen);
    expect({ ...after, meta: null }).toEqual({ ...before, meta: null });
    expect(after.meta.dataset).toBe('mnist');
    expect(await fs.readFile(path.join(dir, 'weights.bin'))).toEqual(weights);
  }, 120_000);

  it('bad input: one line naming the flag and its range, exit 2 (3 for a missing directory), model.json untouched', async () => {
    const text = await fs.readFile(path.join(dir, 'model.json'), 'utf8');
    const cases: Array<[string[], number, RegExp]> = [
      [['executions', dir, '--threads', '0'], 2, /--threads must be an integer in \[1, \d+\], got '0'/],
      [['executions', dir, '--rounds', '2'], 2, /--rounds must be an integer in \[3, 1000\], got '2'/],
      [['executions', dir, '--backend', 'cpu', '--threads', '1'], 2, /--threads applies to the wasm backend/],
      [['executions'], 2, /executions needs a run or model directory/],
      [['executions', path.join(root, 'absent')], 3, /absent/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await fs.readFile(path.join(dir, 'model.json'), 'utf8')).toBe(text);
  });
});
