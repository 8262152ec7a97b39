import { gunzipSync } from 'node:zlib';
import { TnzipError } from '@tnzip/tensor';
import { checkIdxSize, gzipIdxHeader, type IdxHeader, MAX_IDX_BYTES, parseIdxHeader } from './idx-header.js';

/** The element arrays an IDX file can hold, one per type code. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/**
 * A decoded IDX file: `shape` as the header states it (outermost first, e.g. `[60000, 28, 28]`)
 * and `data` in row-major order, `data.length === shape.reduce((a, b) => a * b, 1)`.
 */
export interface IdxArray {
  shape: number[];
  data: IdxData;
}

/** IDX type code → bytes per element. */
export const IDX_TYPES: Readonly<Record<number, { name: string; bytes: number }>> = {
  8: { name: 'ubyte', bytes: 1 },
  9: { name: 'byte', bytes: 1 },
  11: { name: 'short', bytes: 2 },
  12: { name: 'int', bytes: 4 },
  13: { name: 'float', bytes: 4 },
  14: { name: 'double', bytes: 8 },
};

/** True when `bytes` start with the gzip member header `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of {@link readIdx}. */
export interface ReadIdxOptions {
  /** The most bytes the (inflated) file may have; default `MAX_IDX_BYTES` (1 GiB). */
  readonly maxBytes?: number;
}

/**
 * Decodes an IDX file (LeCun's MNIST format), raw or gzip-compressed.
 *
 * Layout: bytes 0–1 are zero (the magic), byte 2 the element type (`0x08` ubyte, `0x09` byte,
 * `0x0B` short, `0x0C` int, `0x0D` float, `0x0E` double), byte 3 the number of dimensions `d`,
 * then `d` big-endian uint32 sizes, then `prod(sizes)` big-endian elements.
 *
 * @param bytes the file's contents; gzip is detected by its `1f 8b` header and inflated with node:zlib.
 * @param source what to call the data in error messages (a file path).
 * @returns `{ shape, data }` with a typed array matching the type code (a copy; `bytes` is not kept).
 * Gzip is inflated with a cap: the header is inflated first (from a small prefix), and the whole
 * stream only up to the size that header implies, which must be at most `options.maxBytes` and
 * at most what the compressed bytes can hold; a gzip bomb fails after inflating that much.
 *
 * @throws TnzipError `CORRUPT_FILE` (naming `source`) on a wrong magic number, an unknown type code,
 *   a gzip stream that does not inflate or inflates past its header's size, a header implying more
 *   than `maxBytes`, fewer bytes than the header's dimensions need (truncated), or bytes left over
 *   after the data (trailing garbage).
 */
export function readIdx(bytes: Uint8Array, source = 'IDX data', options: ReadIdxOptions = {}): IdxArray {
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  let raw = bytes;
  if (isGzip(bytes)) {
    const header = gzipIdxHeader(bytes, source);
    checkIdxSize(header, source, maxBytes, bytes.length);
    try {
      // One byte more than the header implies: enough to tell trailing garbage from a bomb.
      raw = gunzipSync(bytes, { maxOutputLength: header.totalBytes + 1 });
    } catch (e) {
      const tooLarge = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw new TnzipError(
        'CORRUPT_FILE',
        tooLarge
          ? `${source}: gzip stream inflates past the ${header.totalBytes} bytes its IDX header implies (trailing data or a gzip bomb)`
          : `${source}: gzip stream does not inflate (${(e as Error).message})`,
        { cause: e },
      );
    }
  }
  const header = parseIdxHeader(raw, source, true) as IdxHeader;
  checkIdxSize(header, source, maxBytes);
  const { code, shape, headerBytes, totalBytes: expected } = header;
  const type = IDX_TYPES[code] as { name: string; bytes: number };
  const count = (expected - headerBytes) / type.bytes;
  if (raw.length < expected) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: truncated IDX file (shape [${shape.join(', ')}] of ${type.name} needs ${expected} bytes, file has ${raw.length})`,
    );
  }
  if (raw.length > expected) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${source}: ${raw.length - expected} trailing bytes after the IDX data (shape [${shape.join(', ')}] of ${type.name} ends at byte ${expected})`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { shape, data: decode(code, view, headerBytes, count) };
}

function decode(code: number, view: DataView, offset: number, n: number): IdxData {
  // IDX is big-endian; typed arrays are platform-endian, so multi-byte types are read one by one.
  switch (code) {
    case 0x08:
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + n));
    case 0x09:
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + n));
    case 0x0b: {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 0x0c: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 0x0d: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    default: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Encodes `data` of the given `shape` as IDX bytes (the inverse of {@link readIdx}); the type code
 * follows the array type (Uint8Array → 0x08, Int8Array → 0x09, Int16Array → 0x0B, Int32Array → 0x0C,
 * Float32Array → 0x0D, Float64Array → 0x0E). Used to write fixtures in tests.
 *
 * @throws TnzipError `SHAPE_MISMATCH` when `data.length !== prod(shape)`, `INVALID_ARGUMENT` for more
 *   than 255 dimensions.
 */
export function encodeIdx(shape: readonly number[], data: IdxData): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `data.length must equal the product of shape [${shape.join(', ')}] = ${count}, got ${data.length}`,
    );
  }
  if (shape.length > 255)
    throw new TnzipError('INVALID_ARGUMENT', `shape must have at most 255 dimensions, got ${shape.length}`);
  const code =
    data instanceof Uint8Array
      ? 0x08
      : data instanceof Int8Array
        ? 0x09
        : data instanceof Int16Array
          ? 0x0b
          : data instanceof Int32Array
            ? 0x0c
            : data instanceof Float32Array
              ? 0x0d
              : 0x0e;
  const elem = (IDX_TYPES[code] as { bytes: number }).bytes;
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * elem);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < count; i++) {
    const v = data[i] as number;
    const o = header + i * elem;
    if (code === 0x08) view.setUint8(o, v);
    else if (code === 0x09) view.setInt8(o, v);
    else if (code === 0x0b) view.setInt16(o, v, false);
    else if (code === 0x0c) view.setInt32(o, v, false);
    else if (code === 0x0d) view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return out;
}
