import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli.test-util.js';
import type { DenseParent } from './sweep-parent.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-parents-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('sweeps sharing --parents (two real processes at once)', () => {
  it('train the shared dense parent once; the other process waits for it and reuses it', async () => {
    const parents = path.join(root, 'parents');
    const args = (method: string): string[] => [
      'sweep',
      '--model',
      'lenet300',
      '--methods',
      method,
      '--budgets',
      '4x',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--finetune-epochs',
      '1',
      '--limit-train',
      '320',
      '--limit-test',
      '200',
      '--parents',
      parents,
      '--out',
      path.join(root, 'runs'),
      '--json',
    ];
    // 250 ms per step: the dense training (20 steps) lasts 5 s, long enough for the two to overlap.
    const env = { TNZIP_STEP_DELAY_MS: '250' };
    const a = spawnCli(args('energy'), { cwd: root, env });
    const b = spawnCli(args('uniform'), { cwd: root, env });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    // Only one process logged dense training epochs.
    const trained = [ra, rb].filter((r) => /dense lenet300 seed 0 epoch 1\/1 done/.test(r.stderr));
    expect(trained).toHaveLength(1);
    const waited = [ra, rb].filter((r) =>
      /waiting for another process to finish training the dense parent/.test(r.stderr),
    );
    expect(waited).toHaveLength(1);
    expect(waited[0]).not.toBe(trained[0]);
    const pa = (JSON.parse(ra.stdout) as { parents: DenseParent[] }).parents;
    const pb = (JSON.parse(rb.stdout) as { parents: DenseParent[] }).parents;
    expect(pa).toEqual(pb);
    expect(await fs.readdir(parents)).toEqual([path.basename(path.dirname((pa[0] as DenseParent).dir))]);
  }, 180_000);
});
