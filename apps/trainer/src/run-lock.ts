import { readFileSync, unlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileError } from './exit-codes.js';

/** The lock file inside a run directory while a process writes to it. */
export const LOCK_FILE = '.lock';

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly createdAt: string;
}

const held = new Set<string>();

/** True when process `pid` exists (EPERM: it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function readLock(file: string): LockContent | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host, createdAt: String(v.createdAt) }
      : null;
  } catch {
    return null;
  }
}

/**
 * Makes this process the only writer of `runDir`: creates `<runDir>/.lock` (exclusively) holding
 * its pid and host. A lock whose process is dead (same host) is stale and replaced; a live one is
 * a FileError (exit 3) naming the pid, so that a `--resume` cannot start a second writer. Released
 * by {@link releaseRunLocks} (the CLI calls it when a command ends) or at process exit; a killed
 * process leaves a stale lock, which the next run replaces.
 */
/**
 * Throws the lock's FileError when `runDir` is held by a live process, before a `--resume` reads
 * anything of it (a run that has just started may not have written its config.json yet).
 */
export function assertNotLocked(runDir: string): void {
  const file = path.join(runDir, LOCK_FILE);
  const other = readLock(file);
  if (other !== null && (other.host !== os.hostname() || processAlive(other.pid))) throw inUse(runDir, file, other);
}

function inUse(runDir: string, file: string, other: LockContent): FileError {
  return new FileError(
    `run directory '${runDir}' is in use by process ${other.pid} on ${other.host} (since ${other.createdAt}); wait for it to end, or delete ${file} if it is gone`,
  );
}

export async function lockRunDir(runDir: string): Promise<void> {
  const file = path.join(runDir, LOCK_FILE);
  const mine: LockContent = { pid: process.pid, host: os.hostname(), createdAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      held.add(file);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST')
        throw new FileError(`cannot lock run directory '${runDir}': ${(e as Error).message}`);
    }
    const other = readLock(file);
    if (other !== null && (other.host !== mine.host || processAlive(other.pid))) throw inUse(runDir, file, other);
    // Stale (its process is dead) or unreadable (a writer died mid-write): replace it.
    await fs.rm(file, { force: true });
  }
  throw new FileError(`cannot lock run directory '${runDir}': another process keeps taking ${file}`);
}

/** Removes every lock this process holds (lock files whose pid is still ours). */
export function releaseRunLocks(): void {
  for (const file of held) {
    if (readLock(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone (the run directory was removed): nothing to release.
      }
    }
    held.delete(file);
  }
}

process.on('exit', releaseRunLocks);
