import { TnzipError } from '@tnzip/tensor';
import type { NodeFs } from './node-fs.js';

/**
 * Reads `name` inside directory `dir` as an untrusted input: the path must resolve (symlinks
 * followed) to a regular file inside `dir`'s real path, its size must be at most `maxBytes` (and
 * exactly `exactBytes` when given) — all checked on the open handle before anything is read, so
 * a FIFO, device or directory fails at once instead of blocking, a symlink cannot read outside
 * the directory, and a huge file is never loaded. NOT_FOUND when absent, CORRUPT_FILE for a
 * wrong kind, place or size, IO_ERROR otherwise.
 */
export async function readContained(
  fs: NodeFs,
  dir: string,
  name: string,
  limits: { readonly maxBytes: number; readonly exactBytes?: number },
): Promise<Uint8Array> {
  const shown = `${dir}/${name}`;
  const real = await resolveInside(fs, dir, name);
  const c = fs.constants;
  let handle: Awaited<ReturnType<NodeFs['open']>>;
  try {
    // O_NONBLOCK: opening a FIFO without a writer returns at once (the fstat below rejects it).
    handle = await fs.open(real, c.O_RDONLY | (c.O_NOFOLLOW ?? 0) | (c.O_NONBLOCK ?? 0));
  } catch (e) {
    throw ioError(e, shown);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new TnzipError('CORRUPT_FILE', `'${shown}' must be a regular file`);
    if (st.size > limits.maxBytes)
      throw new TnzipError('CORRUPT_FILE', `'${shown}' has ${st.size} bytes, at most ${limits.maxBytes} allowed`);
    if (limits.exactBytes !== undefined && st.size !== limits.exactBytes)
      throw new TnzipError(
        'CORRUPT_FILE',
        `'${shown}' has ${st.size} bytes, model.json expects ${limits.exactBytes} (truncated or wrong file)`,
      );
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < out.length) {
      const { bytesRead } = await handle.read(out, off, out.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    if (off !== out.length) throw new TnzipError('CORRUPT_FILE', `'${shown}' shrank while being read`);
    return out;
  } catch (e) {
    if (e instanceof TnzipError) throw e;
    throw ioError(e, shown);
  } finally {
    await handle.close();
  }
}

async function resolveInside(fs: NodeFs, dir: string, name: string): Promise<string> {
  let root: string;
  let real: string;
  try {
    root = await fs.realpath(dir);
    real = await fs.realpath(`${dir}/${name}`);
  } catch (e) {
    throw ioError(e, `${dir}/${name}`);
  }
  const sep = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`;
  if (!real.startsWith(prefix))
    throw new TnzipError('CORRUPT_FILE', `'${dir}/${name}' resolves to '${real}', outside the model directory`);
  return real;
}

function ioError(e: unknown, path: string): TnzipError {
  const code = (e as { code?: string }).code;
  return new TnzipError(
    code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
    `load: cannot read '${path}': ${(e as Error).message}`,
    { cause: e },
  );
}
