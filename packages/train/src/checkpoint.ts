import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { makeDirectory } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { writeFileAtomic } from './atomic-write.js';
import { type CheckpointState, parseCheckpointHeader, type TensorEntry } from './checkpoint-header.js';

export type { CheckpointState } from './checkpoint-header.js';

/** Magic bytes of a checkpoint file. */
export const CHECKPOINT_MAGIC = 'TNZC';
/**
 * Format version this build writes. Version 2 hashes the whole file (header included); this build
 * still reads version 1 (whose hash covered only the tensor data).
 */
export const CHECKPOINT_VERSION = 2;
/** File-name pattern: `ckpt-<global step, 9 digits>.tnzc`. */
const NAME = /^ckpt-(\d{9})\.tnzc$/;
/** Byte length of the SHA-256 trailer of a version-2 file. */
const HASH_BYTES = 32;
/** Largest header this build reads (a version-1 header of a long run's metrics stays far below). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

/** A decoded checkpoint: its state and tensors (`model/<path>`, `optimizer/<slot>`), owned by the caller. */
export interface Checkpoint {
  readonly state: CheckpointState;
  readonly tensors: Map<string, tf.Tensor>;
}

/**
 * Encodes a checkpoint (version 2): `TNZC`, u32 version, u32 header length, the UTF-8 JSON header
 * (`{ state, tensors: [{ name, shape, offset }], dataByteLength }`) padded to 4 bytes, every
 * tensor's float32 data (little-endian, bit-exact), then the SHA-256 of all the bytes before it, so
 * that an edit anywhere — the step, the Rng state, the epoch sums, a weight — is detected.
 */
export async function encodeCheckpoint(
  state: CheckpointState,
  tensors: ReadonlyMap<string, tf.Tensor>,
): Promise<Uint8Array> {
  const entries: TensorEntry[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32')
      throw new TnzipError('INVALID_ARGUMENT', `checkpoint: tensor '${name}' is ${t.dtype}, only float32 is stored`);
    const data = (await t.data()) as Float32Array;
    entries.push({ name, shape: [...t.shape], offset });
    parts.push(data);
    offset += data.byteLength;
  }
  const header = JSON.stringify({ state, tensors: entries, dataByteLength: offset });
  const pad = (4 - (new TextEncoder().encode(header).length % 4)) % 4;
  const headerBytes = new TextEncoder().encode(header + ' '.repeat(pad));
  const body = 12 + headerBytes.length + offset;
  const out = new Uint8Array(body + HASH_BYTES);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, CHECKPOINT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let o = 12 + headerBytes.length;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    o += p.byteLength;
  }
  out.set(sha256(out.subarray(0, body)), body);
  return out;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Decodes {@link encodeCheckpoint}'s bytes (versions 1 and 2). Every check runs before any tensor
 * is made, and no tensor is larger than the file's data.
 *
 * @throws TnzipError `CORRUPT_FILE` (bad magic, truncated, hash mismatch, a header field out of its
 *   range: see `parseCheckpointHeader`) or `UNSUPPORTED_VERSION`, naming `source`.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const bad = (why: string): TnzipError => new TnzipError('CORRUPT_FILE', `${source}: ${why}`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 4)) !== CHECKPOINT_MAGIC)
    throw bad(`not a tnzip checkpoint (magic '${CHECKPOINT_MAGIC}' missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== 1 && version !== 2)
    throw new TnzipError(
      'UNSUPPORTED_VERSION',
      `${source}: checkpoint format version ${version}, this build reads 1 and ${CHECKPOINT_VERSION}`,
    );
  const end = version === 2 ? bytes.length - HASH_BYTES : bytes.length;
  if (end < 12) throw bad('truncated (no room for its hash)');
  if (version === 2 && !equalBytes(sha256(bytes.subarray(0, end)), bytes.subarray(end)))
    throw bad('fails its SHA-256 check (the file was truncated or edited)');
  const hlen = view.getUint32(8, true);
  if (hlen > MAX_HEADER_BYTES || 12 + hlen > end) throw bad(`truncated header (${hlen} bytes announced)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hlen)));
  } catch (e) {
    throw bad(`header is not JSON: ${(e as Error).message}`);
  }
  const data = bytes.subarray(12 + hlen, end);
  if (version === 1) checkV1Hash(json, data, bad);
  const header = parseCheckpointHeader(json, data.length, source, version);
  const aligned = new Uint8Array(data); // copy: the data's offset within `bytes` need not be 4-aligned
  const tensors = new Map<string, tf.Tensor>();
  for (const e of header.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, tf.tensor(new Float32Array(aligned.buffer, e.offset, n), [...e.shape], 'float32'));
  }
  return { state: header.state, tensors };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Version 1 hashed only the data, in the header's `dataSha256`. */
function checkV1Hash(json: unknown, data: Uint8Array, bad: (why: string) => TnzipError): void {
  const want = typeof json === 'object' && json !== null ? (json as { dataSha256?: unknown }).dataSha256 : undefined;
  if (want !== createHash('sha256').update(data).digest('hex')) throw bad('data fails its SHA-256 check');
}

/** Writes a checkpoint for `state.globalStep` atomically into `dir`; returns its path. */
export async function writeCheckpoint(
  dir: string,
  state: CheckpointState,
  tensors: ReadonlyMap<string, tf.Tensor>,
): Promise<string> {
  await makeDirectory(dir).catch((e: unknown) => {
    throw new TnzipError('IO_ERROR', `cannot create checkpoint directory '${dir}': ${(e as Error).message}`, {
      cause: e,
    });
  });
  const file = path.join(dir, `ckpt-${String(state.globalStep).padStart(9, '0')}.tnzc`);
  await writeFileAtomic(file, await encodeCheckpoint(state, tensors));
  return file;
}

/** Checkpoint files in `dir`, newest (highest global step) first. */
export async function listCheckpoints(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => NAME.test(n))
    .sort()
    .reverse()
    .map((n) => path.join(dir, n));
}

/**
 * Reads and decodes one checkpoint file.
 *
 * @throws TnzipError `NOT_FOUND`, `IO_ERROR`, `CORRUPT_FILE` (also for a path that is not a regular
 *   file: a FIFO would block the read) or `UNSUPPORTED_VERSION`, naming the file.
 */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    if (!(await fs.stat(file)).isFile())
      throw new TnzipError('CORRUPT_FILE', `checkpoint '${file}' is not a regular file`);
    buf = await fs.readFile(file);
  } catch (e) {
    if (e instanceof TnzipError) throw e;
    const code = (e as { code?: string }).code;
    throw new TnzipError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      `cannot read checkpoint '${file}': ${(e as Error).message}`,
      { cause: e },
    );
  }
  return decodeCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

/**
 * The newest checkpoint in `dir` that decodes, with its path, or null when `dir` holds no
 * checkpoint file. A newer file that does not decode (a torn disk write, an edit) is skipped for the
 * previous good one.
 *
 * @throws TnzipError when checkpoint files exist but none decodes: never a silent fresh start. The
 *   code is the files' common one (`CORRUPT_FILE`, `UNSUPPORTED_VERSION`, …), else `CORRUPT_FILE`;
 *   the message names each file and why.
 */
export async function latestCheckpoint(dir: string): Promise<{ file: string; checkpoint: Checkpoint } | null> {
  const files = await listCheckpoints(dir);
  const errors: TnzipError[] = [];
  for (const file of files) {
    try {
      return { file, checkpoint: await readCheckpoint(file) };
    } catch (e) {
      if (!(e instanceof TnzipError)) throw e;
      errors.push(e);
    }
  }
  if (errors.length === 0) return null;
  const code = errors.every((e) => e.code === errors[0]?.code) ? (errors[0] as TnzipError).code : 'CORRUPT_FILE';
  throw new TnzipError(
    code,
    `none of the ${files.length} checkpoint(s) in '${dir}' can be read: ${errors.map((e) => e.message).join('; ')}`,
  );
}

/** Deletes all but the newest `keep` checkpoints in `dir`. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const files = await listCheckpoints(dir);
  await Promise.all(files.slice(keep).map((f) => fs.rm(f, { force: true })));
}
