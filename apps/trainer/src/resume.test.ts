import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '@tnzip/backends';
import { listCheckpoints, type MetricsRecord, readCheckpoint, withoutTiming } from '@tnzip/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli.test-util.js';
import type { Report } from './report.js';

let root: string;
beforeAll(async () => {
  await useBackend('cpu'); // readCheckpoint makes tensors
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-resume-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function metrics(run: string): Promise<Record<string, unknown>[]> {
  return (await fs.readFile(path.join(run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => withoutTiming(JSON.parse(l) as MetricsRecord));
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tnzip train --resume after SIGKILL', () => {
  it('ends with the metrics and weights of an uninterrupted run (timing fields aside)', async () => {
    // LeNet-300-100, 320 images in batches of 32: 10 steps per epoch, 3 epochs, a checkpoint every 4 steps.
    const args = (out: string): string[] => [
      'train',
      '--model',
      'lenet300',
      '--limit-train',
      '320',
      '--limit-test',
      '100',
      '--epochs',
      '3',
      '--batch-size',
      '32',
      '--checkpoint-every',
      '4',
      '--log-every',
      '3',
      '--no-latency',
      '--out',
      out,
      '--json',
    ];
    const full = spawnCli(args(path.join(root, 'a')), { cwd: root });
    // 150 ms per step keeps the killed run alive well past its first checkpoint.
    const killed = spawnCli(args(path.join(root, 'b')), { cwd: root, env: { TNZIP_STEP_DELAY_MS: '150' } });
    let runB = '';
    await waitFor(async () => {
      const runs = await fs.readdir(path.join(root, 'b')).catch(() => [] as string[]);
      if (runs[0] === undefined) return false;
      runB = path.join(root, 'b', runs[0]);
      return (await listCheckpoints(path.join(runB, 'checkpoints')).catch(() => [])).length > 0;
    }, 120_000);
    killed.kill('SIGKILL');
    const k = await killed.done;
    expect(k.signal).toBe('SIGKILL');
    await expect(fs.access(path.join(runB, 'model', 'model.json'))).rejects.toThrow();
    const ckpts = await listCheckpoints(path.join(runB, 'checkpoints'));
    const newest = await readCheckpoint(ckpts[ckpts.length - 1] as string);
    expect(newest.state.stepInEpoch).toBeGreaterThan(0); // killed mid-epoch
    expect(newest.state.epoch).toBe(0);
    for (const t of newest.tensors.values()) t.dispose();

    const resumed = await spawnCli(['train', '--resume', runB, '--json'], { cwd: root }).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*ckpt-/);
    const a = await full.done;
    expect(a.code, a.stderr).toBe(0);
    const runA = (JSON.parse(a.stdout) as { runDir: string }).runDir;
    expect(await metrics(runB)).toEqual(await metrics(runA));
    const ra = JSON.parse(a.stdout) as Report;
    const rb = JSON.parse(resumed.stdout) as Report;
    expect(rb.results.dense.testAcc).toBe(ra.results.dense.testAcc);
    expect(rb.results.dense.testLoss).toBe(ra.results.dense.testLoss);
    const sha = async (run: string): Promise<string> =>
      JSON.parse(await fs.readFile(path.join(run, 'model', 'model.json'), 'utf8')).weightsSha256;
    expect(await sha(runB)).toBe(await sha(runA));
  });
});
