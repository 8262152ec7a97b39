import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendChoice, type BackendInfo, backendFromEnv, parseBackendChoice, useBackend } from '@tnzip/backends';
import { type FlagValues, str } from './args.js';
import { UsageError } from './exit-codes.js';

/** The backend a command asked for: `--backend`, else `$TNZIP_BACKEND`, else wasm. */
export function backendChoice(values: FlagValues): BackendChoice {
  const flag = str(values, 'backend');
  try {
    return flag === undefined ? backendFromEnv('wasm') : parseBackendChoice(flag, '--backend');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The backend in use, as recorded in `config.json`. */
export interface BackendRecord {
  readonly requested: BackendChoice;
  readonly used: string;
  readonly threads: number | null;
  readonly reason: string;
}

/** Starts the backend (BACKEND_UNAVAILABLE when an explicit one cannot start: exit code 1). */
export async function startBackend(choice: BackendChoice): Promise<BackendRecord> {
  const info: BackendInfo = await useBackend(choice);
  return { requested: choice, used: info.backend, threads: info.threads ?? null, reason: info.reason };
}

const PACKAGES = [
  '@tnzip/tensor',
  '@tnzip/layers',
  '@tnzip/data',
  '@tnzip/zoo',
  '@tnzip/train',
  '@tnzip/ranks',
  '@tnzip/backends',
  '@tensorflow/tfjs-core',
];

/**
 * The git commit of the checkout at `dir` (`<sha>`, `<sha>-dirty` when tracked files have
 * uncommitted changes), or null outside a git checkout.
 */
export function readCommit(dir: string): string | null {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: dir, timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  try {
    const sha = git(['rev-parse', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) === '' ? sha : `${sha}-dirty`;
  } catch {
    return null;
  }
}

/** {@link codeCommit}'s answer, read on its first call; undefined before. */
let loadedCommit: string | null | undefined;

/**
 * The git commit of the code that runs, as {@link readCommit} gave it on this process's first call
 * (a command's start, or a `tnzip worker` cell process's first cell, just after it loaded its
 * code), not at the time of later calls: a long-lived process — a cell process runs cell after
 * cell — keeps reporting the code it runs while the checkout moves on. Null outside a git
 * checkout: the package versions alone do not say which code produced a result.
 */
export function codeCommit(): string | null {
  if (loadedCommit === undefined) loadedCommit = readCommit(path.dirname(fileURLToPath(import.meta.url)));
  return loadedCommit;
}

/** Versions of Node, tfjs and every tnzip package, the code's git commit, and the machine, for `config.json`. */
export function versions(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const out: Record<string, string> = {
    node: process.versions.node,
    '@tnzip/trainer': (req('../package.json') as { version: string }).version,
  };
  for (const p of PACKAGES) {
    try {
      out[p] = (req(`${p}/package.json`) as { version: string }).version;
    } catch {
      out[p] = 'unknown';
    }
  }
  out.tfjsBackend = tf.getBackend() ?? 'none';
  const commit = codeCommit();
  if (commit !== null) out.commit = commit;
  out.platform = `${process.platform}-${process.arch}, ${os.availableParallelism()} cores`;
  return out;
}
