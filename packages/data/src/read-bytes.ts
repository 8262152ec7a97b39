import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { TnzipError } from '@tnzip/tensor';

/** The largest file {@link readBytes} reads unless told otherwise: 1 GiB. */
export const MAX_FILE_BYTES = 2 ** 30;

/**
 * Reads a file, or its first `limit` bytes, mapping the file system's refusals to stable codes: a
 * missing path (or a directory where a file should be) is `NOT_FOUND`, a FIFO, device or socket
 * (which would block or never end) and a file over `maxBytes` `CORRUPT_FILE`, anything else
 * `IO_ERROR`; all name the path. The checks run on the open handle, before anything is read.
 * `what` says what the file is for, e.g. "CIFAR-10 training batch".
 */
export function readBytes(path: string, what = 'file', maxBytes = MAX_FILE_BYTES, limit = Infinity): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fsError(e, path, what);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new TnzipError('NOT_FOUND', `${what} not found: ${path} (a directory)`);
    if (!st.isFile()) throw new TnzipError('CORRUPT_FILE', `${what} ${path} must be a regular file`);
    if (st.size > maxBytes)
      throw new TnzipError('CORRUPT_FILE', `${what} ${path} has ${st.size} bytes, at most ${maxBytes} allowed`);
    const out = new Uint8Array(Math.min(st.size, limit));
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === out.length ? out : out.subarray(0, off);
  } catch (e) {
    if (e instanceof TnzipError) throw e;
    throw fsError(e, path, what);
  } finally {
    closeSync(fd);
  }
}

function fsError(e: unknown, path: string, what: string): TnzipError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new TnzipError('NOT_FOUND', `${what} not found: ${path}`, { cause: e });
  }
  return new TnzipError('IO_ERROR', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
}
