import { readFileSync } from 'node:fs';
import { TnzipError } from '@tnzip/tensor';

/**
 * Reads a whole file, mapping the file system's refusals to stable codes: a missing path (or a
 * directory where a file should be) is `NOT_FOUND`, anything else `IO_ERROR`; both name the path.
 * `what` says what the file is for, e.g. "CIFAR-10 training batch".
 */
export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new TnzipError('NOT_FOUND', `${what} not found: ${path}`, { cause: e });
    }
    throw new TnzipError('IO_ERROR', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}
