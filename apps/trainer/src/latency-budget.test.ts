import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '@tnzip/backends';
import { EXECUTIONS_META_KEY, save } from '@tnzip/layers';
import { createModel } from '@tnzip/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import type { Report } from './report.js';
import type { Results } from './results.js';

let root: string;
beforeAll(async () => {
  await useBackend('cpu'); // for the test's own save(); the CLI picks its backend itself
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-latency-'));
  const net = createModel('lenet5', { seed: 1 });
  await save(net, path.join(root, 'dense'), { inputShape: [28, 28, 1], meta: { model: 'lenet5', dataset: 'mnist' } });
  net.dispose();
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('tnzip compress --metric latency', () => {
  it('plans by the measured table for the whole model, stores the measured execution choice keyed by backend@threads', async () => {
    const out = path.join(root, 'runs');
    const r = await runInProcess([
      'compress',
      '--from',
      path.join(root, 'dense'),
      '--metric',
      'latency',
      '--budget',
      '1.25x',
      '--limit-train',
      '64',
      '--limit-test',
      '50',
      '--finetune-epochs',
      '0',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report & { runDir: string };
    const res = rep.results as Results;
    const lat = res.selection?.details?.latency as {
      layersMs: number;
      limitMs: number;
      batch: number;
      budget: { scope?: string };
    };
    expect(lat.batch).toBe(64);
    // "1.25x faster" means the whole model unless --scope says otherwise.
    expect(lat.budget.scope).toBe('model');
    expect(lat.layersMs).toBeLessThanOrEqual(lat.limitMs);
    expect(res.compressed?.testAcc).toBeGreaterThanOrEqual(0);
    const json = JSON.parse(await fs.readFile(path.join(rep.runDir, 'model', 'model.json'), 'utf8'));
    const stored = json.meta[EXECUTIONS_META_KEY] as Record<string, { batches: number[]; layers: object }>;
    const keys = Object.keys(stored);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^(wasm|cpu|webgpu)@\d+$/);
    expect(stored[keys[0] as string]?.batches).toEqual([1, 64]);
  });
});
