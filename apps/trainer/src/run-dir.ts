import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { makeDirectory } from '@tnzip/layers';
import { writeFileAtomic } from '@tnzip/train';
import { FileError } from './exit-codes.js';
import { lockRunDir } from './run-lock.js';

/** `20240131-142501` in local time: sortable, and readable in a directory listing. */
function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * Creates a new run directory `<out>/<timestamp>-<command>-<model>` (suffixed `-2`, `-3`, … when
 * taken, so an existing run is never reused or overwritten), locked for this process
 * ({@link lockRunDir}). `out` is created if needed.
 *
 * @throws FileError naming `out` when it cannot be created or written.
 */
export async function createRunDir(out: string, command: string, model: string, now = new Date()): Promise<string> {
  try {
    await makeDirectory(out); // not fs.mkdir recursive: that spins forever on procfs
    await fs.access(out, fs.constants.W_OK);
  } catch (e) {
    throw new FileError(`output directory '${out}' is not writable: ${(e as Error).message}`);
  }
  const base = `${stamp(now)}-${command}-${model}`;
  for (let k = 1; k < 1000; k++) {
    const dir = path.join(out, k === 1 ? base : `${base}-${k}`);
    try {
      await fs.mkdir(dir); // not recursive: fails when the directory exists, so two runs never share one
      await lockRunDir(dir);
      return dir;
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') continue;
      throw new FileError(`cannot create run directory '${dir}': ${(e as Error).message}`);
    }
  }
  throw new FileError(`cannot find a free run directory name '${base}-N' in '${out}'`);
}

/**
 * `part` made safe inside a file name: every character outside `[A-Za-z0-9._+-]` becomes `_`, so
 * a model, dataset or budget label read from a run's files (or sent by a queue worker) cannot
 * name a path outside the run directory (`../`) or a hidden subdirectory.
 */
export function fileNamePart(part: string): string {
  return part.replace(/[^A-Za-z0-9._+-]/g, '_');
}

/** Writes `value` as pretty JSON, atomically (temp file + rename). */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The largest JSON file (a run's config, results, report) the trainer reads: 64 MiB. */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

/** The largest JSON-lines file (a sweep's cells, a run's metrics) the trainer reads: 512 MiB. */
export const MAX_JSON_LINES_BYTES = 512 * 2 ** 20;

/**
 * The text of `file`, refused before anything is read when it is not a regular file (a device
 * or FIFO would never end) or has more than `maxBytes` bytes. fs errors (ENOENT …) pass through.
 */
async function readTextFile(file: string, maxBytes: number): Promise<string> {
  const h = await fs.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`${st.size} bytes, at most ${maxBytes} allowed`);
    return await h.readFile('utf8');
  } finally {
    await h.close();
  }
}

/**
 * Reads and parses a JSON file (a regular file of at most {@link MAX_JSON_BYTES}).
 * @throws FileError naming the file when it is missing, too large, not a file or not valid JSON.
 */
export async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readTextFile(file, MAX_JSON_BYTES);
  } catch (e) {
    throw new FileError(`cannot read ${what} '${file}': ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new FileError(`${what} '${file}' is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Reads a JSON-lines file (a missing file is empty; at most {@link MAX_JSON_LINES_BYTES}; a bad
 * line names the file and line).
 */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readTextFile(file, MAX_JSON_LINES_BYTES);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw new FileError(`cannot read '${file}': ${(e as Error).message}`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new FileError(`'${file}' line ${i + 1} is not valid JSON`);
      }
    });
}

/** Writes `items` as JSON lines (one object a line), atomically: the twin of {@link readJsonLines}. */
export async function writeJsonLines(file: string, items: readonly unknown[]): Promise<void> {
  await writeFileAtomic(file, items.map((x) => `${JSON.stringify(x)}\n`).join(''));
}

/** Total size in bytes of the regular files directly inside `dir` (a model directory). */
export async function dirBytes(dir: string): Promise<number> {
  const names = await fs.readdir(dir);
  let total = 0;
  for (const n of names) {
    const st = await fs.stat(path.join(dir, n));
    if (st.isFile()) total += st.size;
  }
  return total;
}

/** True when `p` exists. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
