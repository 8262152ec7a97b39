import { TnzipError } from '@tnzip/tensor';
import { nodeFs } from './node-fs.js';

/** Path components a directory to create may have. */
export const MAX_PATH_COMPONENTS = 256;

/**
 * `mkdir -p` that cannot spin: creates `path` and its missing parents one component at a time with
 * non-recursive `mkdir` (Node's `{ recursive: true }` loops forever on some file systems, e.g.
 * `/proc/forbidden`), at most {@link MAX_PATH_COMPONENTS} components. An existing directory is
 * fine; an existing non-directory, a parent that refuses the entry or a path too deep is
 * IO_ERROR naming the path. Node only.
 */
export async function makeDirectory(path: string): Promise<void> {
  if (typeof path !== 'string' || path === '' || path.includes('\0'))
    throw new TnzipError('INVALID_ARGUMENT', `directory path must be a non-empty string, got ${JSON.stringify(path)}`);
  const fs = await nodeFs('makeDirectory');
  const parts = path.split(/[\\/]+/);
  if (parts.length > MAX_PATH_COMPONENTS)
    throw new TnzipError('IO_ERROR', `cannot create '${path}': more than ${MAX_PATH_COMPONENTS} path components`);
  let prefix = '';
  for (const [i, part] of parts.entries()) {
    prefix = i === 0 ? part : `${prefix}/${part}`;
    if (part === '' || part === '.' || /^[a-z]:$/i.test(part)) continue;
    try {
      await fs.mkdir(prefix);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EEXIST' && (await isDirectory(fs, prefix))) continue;
      throw new TnzipError(
        'IO_ERROR',
        `cannot create directory '${path}' (at '${prefix}'): ${code === 'EEXIST' ? 'a file of that name exists' : (e as Error).message}`,
        { cause: e },
      );
    }
  }
}

async function isDirectory(fs: Awaited<ReturnType<typeof nodeFs>>, p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
