import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints, readCheckpoint } from './checkpoint.js';
import { type MetricsRecord, withoutTiming } from './metrics.js';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = path.join(pkg, 'src', 'testing', 'kill-resume-child.ts');

function start(args: string[]): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', '@tnzip/layers/node-register', '--conditions=@tnzip/source', child, ...args],
    { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

async function lines(dir: string): Promise<Record<string, unknown>[]> {
  const text = await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => withoutTiming(JSON.parse(l) as MetricsRecord));
}

describe('kill and resume (child processes, cpu backend)', () => {
  let root: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-kill-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  async function killAndResume(workers: string): Promise<void> {
    const a = path.join(root, `uninterrupted-${workers}`);
    const b = path.join(root, `killed-${workers}`);
    const full = start(['cpu', a, '0', '0', workers]);
    expect(await full.exited, full.output()).toBe(0);

    // 10 steps per epoch, checkpoints every 4 global steps: the newest before global step 14 is
    // ckpt 12 = epoch 1, batch 2. The child pauses after step 14 and is killed there.
    const killed = start(['cpu', b, '0', '14', workers]);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (killed.output().includes('PAUSED 14')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      killed.exited.then(() => {
        clearInterval(timer);
        reject(new Error(`child exited before pausing: ${killed.output()}`));
      });
    });
    killed.proc.kill('SIGKILL');
    await killed.exited.catch(() => null);
    expect(killed.proc.signalCode).toBe('SIGKILL');
    await expect(fs.access(path.join(b, 'final.json'))).rejects.toThrow();
    const ckpts = await listCheckpoints(path.join(b, 'checkpoints'));
    expect(ckpts.map((f) => path.basename(f))).toEqual(['ckpt-000000012.tnzc', 'ckpt-000000010.tnzc']);
    const { state, tensors } = await readCheckpoint(ckpts[0] as string);
    expect([state.epoch, state.stepInEpoch, state.globalStep]).toEqual([1, 2, 12]);
    for (const t of tensors.values()) t.dispose();
    // the killed run logged steps 13 and 14 that the resumed run must replace
    expect((await lines(b)).filter((l) => l.type === 'step').length).toBe(14);

    const resumed = start(['cpu', b, '1', '0', workers]);
    expect(await resumed.exited, resumed.output()).toBe(0);

    const ra = JSON.parse(await fs.readFile(path.join(a, 'final.json'), 'utf8'));
    const rb = JSON.parse(await fs.readFile(path.join(b, 'final.json'), 'utf8'));
    expect(ra.resumedFrom).toBeNull();
    expect(path.basename(rb.resumedFrom)).toBe('ckpt-000000012.tnzc');
    expect(rb.weights).toEqual(ra.weights); // float32 bit patterns
    expect(withoutTiming(rb.final)).toEqual(withoutTiming(ra.final));
    const la = await lines(a);
    expect(la.filter((l) => l.type === 'step')).toHaveLength(30);
    expect(la.filter((l) => l.type === 'epoch')).toHaveLength(3);
    expect(await lines(b)).toEqual(la);
    // no temporary file survives in either run
    for (const d of [a, b, path.join(a, 'checkpoints'), path.join(b, 'checkpoints')]) {
      expect((await fs.readdir(d)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    }
  }

  it('a run SIGKILLed mid-epoch and resumed ends with exactly the weights and metrics of an uninterrupted run', async () => {
    await killAndResume('1');
  }, 120_000);

  // The children end without process.exit: the uninterrupted 2-worker run exiting (code 0) shows that
  // train() terminates its worker threads (a live worker would keep the process up until the timeout).
  it('the same holds with 2 data-parallel workers (the killed process takes its worker threads with it)', async () => {
    await killAndResume('2');
  }, 180_000);
});
