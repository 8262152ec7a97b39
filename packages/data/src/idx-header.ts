import { constants, gunzipSync } from 'node:zlib';
import { TnzipError } from '@tnzip/tensor';

/** What an IDX header states: the element type, the shape and the byte counts they imply. */
export interface IdxHeader {
  /** Type code, a key of `IDX_TYPES` (0x08 ubyte … 0x0E double). */
  readonly code: number;
  readonly shape: number[];
  /** 4 + 4·(number of dimensions). */
  readonly headerBytes: number;
  /** headerBytes + prod(shape)·(bytes per element): the exact size of the (inflated) file. */
  readonly totalBytes: number;
}

/** The most bytes an IDX file may inflate to unless the caller allows more: 1 GiB. */
export const MAX_IDX_BYTES = 2 ** 30;
/** Deflate's largest expansion (1032:1, from its 258-byte maximal match per 2 bits). */
export const DEFLATE_MAX_RATIO = 1032;

const ELEMENT_BYTES: Readonly<Record<number, number>> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };
const hex = (b: number | undefined): string => (b ?? 0).toString(16).padStart(2, '0');

/**
 * Parses the header at the start of raw (inflated) IDX bytes. Returns null when `raw` is too short
 * to hold the whole header (`complete` false) — the caller may read more; with `complete` true a
 * short header is CORRUPT_FILE. CORRUPT_FILE (naming `source`) for a wrong magic number or an
 * unknown type code.
 */
export function parseIdxHeader(raw: Uint8Array, source: string, complete: boolean): IdxHeader | null {
  if (raw.length >= 2 && (raw[0] !== 0 || raw[1] !== 0)) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: wrong IDX magic number (bytes 0-1 must be 00 00, got ${hex(raw[0])} ${hex(raw[1])}): not an IDX file`,
    );
  }
  if (raw.length < 4) {
    if (!complete) return null;
    throw new TnzipError('CORRUPT_FILE', `${source}: truncated IDX header (${raw.length} bytes, need at least 4)`);
  }
  const code = raw[2] as number;
  const elem = ELEMENT_BYTES[code];
  if (elem === undefined) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: unknown IDX type code 0x${hex(code)} (allowed: 08 ubyte, 09 byte, 0b short, 0c int, 0d float, 0e double)`,
    );
  }
  const ndims = raw[3] as number;
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    if (!complete) return null;
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: truncated IDX header (${ndims} dimensions need ${headerBytes} header bytes, file has ${raw.length})`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  // A zero dimension empties the array whatever the others say (Infinity · 0 would be NaN).
  const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1);
  const totalBytes = headerBytes + count * elem;
  return { code, shape, headerBytes, totalBytes };
}

/**
 * Inflates as little of a gzip stream as yields a complete IDX header: prefixes of 1 KiB, 4 KiB, …
 * of the compressed bytes are inflated without requiring the stream's end, so a gzip bomb costs at
 * most ~1032 times the prefix that holds the header.
 */
export function gzipIdxHeader(bytes: Uint8Array, source: string): IdxHeader;
/** With `whole` false (`bytes` is a prefix of the file), null when the prefix is too short. */
export function gzipIdxHeader(bytes: Uint8Array, source: string, whole: boolean): IdxHeader | null;
export function gzipIdxHeader(bytes: Uint8Array, source: string, whole = true): IdxHeader | null {
  for (let n = 1024; ; n *= 4) {
    const prefix = bytes.subarray(0, Math.min(n, bytes.length));
    let raw: Uint8Array;
    try {
      raw = gunzipSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      if (!whole && prefix.length === bytes.length) return null;
      throw new TnzipError('CORRUPT_FILE', `${source}: gzip stream does not inflate (${(e as Error).message})`, {
        cause: e,
      });
    }
    const all = prefix.length === bytes.length;
    // The whole stream gave less than a header: a truncated stream says so (the output is tiny).
    if (all && whole && parseIdxHeader(raw, source, false) === null) strictGunzip(prefix, source);
    const header = parseIdxHeader(raw, source, all && whole);
    if (header !== null || all) return header;
  }
}

/**
 * Checks the size an IDX header implies against the cap and, for gzip, against what the compressed
 * bytes can possibly inflate to (a larger claim is a truncated stream). CORRUPT_FILE naming
 * `source` and the allowed size.
 */
export function checkIdxSize(header: IdxHeader, source: string, maxBytes: number, gzipBytes?: number): void {
  const shape = `[${header.shape.join(', ')}]`;
  if (header.totalBytes > maxBytes)
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: IDX shape ${shape} needs ${header.totalBytes} bytes, more than the ${maxBytes} allowed`,
    );
  if (gzipBytes !== undefined && header.totalBytes > DEFLATE_MAX_RATIO * gzipBytes + 1024)
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: IDX shape ${shape} needs ${header.totalBytes} bytes, more than ${gzipBytes} gzip bytes can hold (truncated)`,
    );
}

function strictGunzip(bytes: Uint8Array, source: string): void {
  try {
    gunzipSync(bytes, { maxOutputLength: 4096 });
  } catch (e) {
    throw new TnzipError('CORRUPT_FILE', `${source}: gzip stream does not inflate (${(e as Error).message})`, {
      cause: e,
    });
  }
}
