import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './cli.test-util.js';
import type { SweepConfig } from './commands/sweep.js';
import { createProgress } from './progress.js';
import { startBackend } from './runtime.js';
import { DISTILL_DEFAULTS, resolveFinetune } from './select-step.js';
import { teacherFor } from './teacher.js';
import { resolveTrainConfig } from './train-config.js';
import { trainOptions } from './training.js';

let root: string;
beforeAll(async () => {
  await startBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-distill-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const small = ['--model', 'lenet300', '--epochs', '1', '--limit-train', '600', '--limit-test', '100', '--json'];
const dense = resolveTrainConfig({ model: 'lenet300' }, null);

describe('--distill', () => {
  it("sets the fine-tuning config's distillation (T 4, alpha 0.5); without it there is none", () => {
    expect(resolveFinetune({ distill: true }, dense).distill).toEqual(DISTILL_DEFAULTS);
    expect(resolveFinetune({}, dense).distill).toBeUndefined();
    expect(DISTILL_DEFAULTS).toEqual({ temperature: 4, alpha: 0.5 });
  });

  it('needs a teacher: trainOptions refuses a distilling config without one, and teacherFor loads none without it', async () => {
    const ft = resolveFinetune({ distill: true }, dense);
    const quiet = createProgress({ write: () => true });
    expect(() => trainOptions({} as never, ft, root, false, quiet, 'x')).toThrow(/--distill needs the dense parent/);
    expect(await teacherFor(resolveFinetune({}, dense), path.join(root, 'nowhere'))).toBeUndefined();
  });

  it('is refused without fine-tuning, before any work (exit 2)', async () => {
    const out = path.join(root, 'refused');
    const args = ['--distill', '--finetune-epochs', '0', '--out', out];
    const c = await runInProcess(['compress', ...small, '--method', 'energy', ...args]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--distill .*--finetune-epochs ≥ 1/);
    const s = await runInProcess(['sweep', ...small, '--methods', 'energy', '--budgets', '4x', ...args]);
    expect(s.code).toBe(2);
    await expect(fs.readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('tnzip sweep: the config and every cell carry it, and its results row is a protocol of its own', async () => {
    const args = ['--methods', 'energy', '--budgets', '4x', '--distill', '--out', path.join(root, 'sweep')];
    const r = await runInProcess(['sweep', ...small, ...args]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const config = JSON.parse(await fs.readFile(path.join(runDir, 'config.json'), 'utf8')) as SweepConfig;
    expect(config.finetune.map((f) => f.distill)).toEqual([DISTILL_DEFAULTS]);
    const out = path.join(root, 'rows.json');
    expect((await runInProcess(['results', runDir, '--out', out])).code).toBe(0);
    const [row] = JSON.parse(await fs.readFile(out, 'utf8')) as Record<string, unknown>[];
    expect(row?.settings).toBe('--distill');
  });

  it('tnzip compress: fine-tunes with it and records it in config.json', async () => {
    const args = ['--method', 'energy', '--distill', '--no-latency', '--out', path.join(root, 'compress')];
    const r = await runInProcess(['compress', ...small, ...args]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const config = JSON.parse(await fs.readFile(path.join(runDir, 'config.json'), 'utf8')) as {
      compress: { finetune: { distill?: unknown } };
    };
    expect(config.compress.finetune.distill).toEqual(DISTILL_DEFAULTS);
  });
});
