import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIdx } from '@tnzip/data';
import { runCli } from './cli.js';

/** The app's root (apps/trainer). */
export const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What a finished CLI run left. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command line a test spawns: Node + tsx + the source condition + src/main.ts (what bin/tnzip.mjs runs). */
export function cliCommand(args: readonly string[]): string[] {
  return [
    '--conditions=@tnzip/source',
    '--import',
    import.meta.resolve('tsx'),
    path.join(APP, 'src', 'main.ts'),
    ...args,
  ];
}

/** Spawns `tnzip args` in `cwd`; `onStderr` sees stderr as it arrives. */
export function spawnCli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): { kill: (s: NodeJS.Signals) => void; done: Promise<CliResult> } {
  const proc = spawn(process.execPath, cliCommand(args), {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { kill: (s) => proc.kill(s), done };
}

/** Runs the CLI in this process (same code path as the binary, minus process start-up). */
export async function runInProcess(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, signal: null, stdout, stderr };
}

/** Writes MNIST-layout IDX files (`train-*`, `t10k-*`) with `n` random-ish 28×28 images each. */
export async function writeIdxMnist(dir: string, n: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const images = new Uint8Array(n * 784).map((_, i) => (i * 37) % 256);
  const labels = new Uint8Array(n).map((_, i) => i % 10);
  for (const p of ['train', 't10k']) {
    await fs.writeFile(path.join(dir, `${p}-images-idx3-ubyte`), encodeIdx([n, 28, 28], images));
    await fs.writeFile(path.join(dir, `${p}-labels-idx1-ubyte`), encodeIdx([n], labels));
  }
}

/** Every file under `dir` (relative path → content), to check that nothing changed. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(path.relative(dir, p), (await fs.readFile(p)).toString('base64'));
    }
  };
  await walk(dir);
  return out;
}
