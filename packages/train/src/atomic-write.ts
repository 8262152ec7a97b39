import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { TnzipError } from '@tnzip/tensor';

let counter = 0;

/** Prefix of the temporary files {@link writeFileAtomic} creates next to their target. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Writes `data` to `file` so that a reader (or a process restarted after a crash or SIGKILL) sees
 * either the old content or the complete new one, never a part: write a temporary file in the same
 * directory, fsync it, rename it over `file` (atomic on POSIX), then fsync the directory so the
 * rename itself is durable.
 *
 * @throws TnzipError `IO_ERROR` naming the file; the temporary file is removed.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  counter += 1;
  const tmp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}-${process.pid}-${counter}`);
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new TnzipError('IO_ERROR', `cannot write '${file}': ${(e as Error).message}`, { cause: e });
  }
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}

/** Removes temporary files left in `dir` by a writer that was killed mid-write. */
export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => n.startsWith(TEMP_PREFIX)).map((n) => fs.rm(path.join(dir, n), { force: true })),
  );
}
