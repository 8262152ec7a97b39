import type { IdxArray } from './idx.js';
import { readIdx } from './idx.js';
import { readBytes } from './read-bytes.js';

/**
 * Reads and decodes an IDX file from disk, raw or gzip-compressed (detected by content, not by
 * the `.gz` suffix). Node only.
 *
 * @returns `{ shape, data }` as {@link readIdx} does.
 * @throws TnzipError `NOT_FOUND` naming `path` when it does not exist, `IO_ERROR` when it cannot be
 *   read, `CORRUPT_FILE` naming `path` when its contents are not a valid IDX file.
 */
export function readIdxFile(path: string): IdxArray {
  return readIdx(readBytes(path, 'IDX file'), path);
}
