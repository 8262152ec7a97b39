import type { IdxArray, ReadIdxOptions } from './idx.js';
import { isGzip, readIdx } from './idx.js';
import { gzipIdxHeader, type IdxHeader, parseIdxHeader } from './idx-header.js';
import { readBytes } from './read-bytes.js';

/**
 * Reads and decodes an IDX file from disk, raw or gzip-compressed (detected by content, not by
 * the `.gz` suffix). Node only.
 *
 * @returns `{ shape, data }` as {@link readIdx} does.
 * @throws TnzipError `NOT_FOUND` naming `path` when it does not exist, `IO_ERROR` when it cannot be
 *   read, `CORRUPT_FILE` naming `path` when it is not a regular file or its contents are not a
 *   valid IDX file (or need more than `options.maxBytes`).
 */
export function readIdxFile(path: string, options: ReadIdxOptions = {}): IdxArray {
  return readIdx(readBytes(path, 'IDX file'), path, options);
}

/**
 * Reads only the header of an IDX file (raw or gzip): its type, shape and size, from the first
 * bytes of the file (at most a few KiB read and inflated for real files), so that callers can
 * check a dataset's shape before loading it. Same errors as {@link readIdxFile} for the header.
 */
export function readIdxFileHeader(path: string): IdxHeader {
  for (let n = 4096; ; n *= 8) {
    const head = readBytes(path, 'IDX file', Infinity, n);
    const whole = head.length < n;
    const h = isGzip(head) ? gzipIdxHeader(head, path, whole) : parseIdxHeader(head, path, whole);
    if (h !== null) return h;
  }
}
