import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { makeDirectory } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { writeFileAtomic } from './atomic-write.js';
import type { JsonValue } from './hooks.js';
import type { MetricsRecord } from './metrics.js';

/** Magic bytes of a checkpoint file. */
export const CHECKPOINT_MAGIC = 'TNZC';
/** Format version this build writes and reads. */
export const CHECKPOINT_VERSION = 1;
/** File-name pattern: `ckpt-<global step, 9 digits>.tnzc`. */
const NAME = /^ckpt-(\d{9})\.tnzc$/;

/** The JSON part of a checkpoint (everything but the tensors). */
export interface CheckpointState {
  /** Epoch to run next (0-based); equals the epoch count when training finished. */
  readonly epoch: number;
  /** First batch of `epoch` still to run (0 at an epoch boundary). */
  readonly stepInEpoch: number;
  /** Steps completed over the whole run. */
  readonly globalStep: number;
  /** Optimizer kind and step counter (its slots are tensors). */
  readonly optimizer: { readonly kind: string; readonly step: number };
  /** The trainer's Rng state. */
  readonly rng: readonly [number, number, number, number];
  /** `TrainHook.state()` by hook name. */
  readonly hooks: Readonly<Record<string, JsonValue>>;
  /** Training sums of the current epoch so far: loss·count, correct, count. */
  readonly epochSums: { readonly loss: number; readonly correct: number; readonly count: number };
  /** Training calls made by each Dropout layer (their masks depend on it), by module path. */
  readonly dropoutCalls: Readonly<Record<string, number>>;
  /** Every metrics line logged so far (metrics.jsonl is rewritten from these on resume). */
  readonly metrics: readonly MetricsRecord[];
  /** The options that must not change on resume. */
  readonly fingerprint: Readonly<Record<string, JsonValue>>;
}

/** A decoded checkpoint: its state and tensors (`model/<path>`, `optimizer/<slot>`), owned by the caller. */
export interface Checkpoint {
  readonly state: CheckpointState;
  readonly tensors: Map<string, tf.Tensor>;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

/**
 * Encodes a checkpoint: `TNZC`, u32 version, u32 header length, the UTF-8 JSON header
 * (`{ state, tensors: [{ name, shape, offset }], dataByteLength, dataSha256 }`) padded to 4 bytes,
 * then every tensor's float32 data, little-endian, bit-exact.
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
  const data = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    data.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    o += p.byteLength;
  }
  const header = JSON.stringify({ state, tensors: entries, dataByteLength: offset, dataSha256: sha256(data) });
  let headerBytes = new TextEncoder().encode(header);
  const pad = (4 - (headerBytes.length % 4)) % 4;
  if (pad > 0) headerBytes = new TextEncoder().encode(header + ' '.repeat(pad));
  const out = new Uint8Array(12 + headerBytes.length + data.length);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, CHECKPOINT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(data, 12 + headerBytes.length);
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Decodes {@link encodeCheckpoint}'s bytes.
 *
 * @throws TnzipError `CORRUPT_FILE` (bad magic, truncated, bad JSON, hash mismatch) or
 *   `UNSUPPORTED_VERSION`, naming `source`.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const bad = (why: string): TnzipError => new TnzipError('CORRUPT_FILE', `${source}: ${why}`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 4)) !== CHECKPOINT_MAGIC)
    throw bad(`not a tnzip checkpoint (magic '${CHECKPOINT_MAGIC}' missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== CHECKPOINT_VERSION)
    throw new TnzipError(
      'UNSUPPORTED_VERSION',
      `${source}: checkpoint format version ${version}, this build reads ${CHECKPOINT_VERSION}`,
    );
  const hlen = view.getUint32(8, true);
  if (12 + hlen > bytes.length) throw bad('truncated header');
  let header: { state: CheckpointState; tensors: TensorEntry[]; dataByteLength: number; dataSha256: string };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  } catch (e) {
    throw bad(`header is not JSON: ${(e as Error).message}`);
  }
  const data = bytes.subarray(12 + hlen);
  if (data.length !== header.dataByteLength)
    throw bad(`holds ${data.length} data bytes, header says ${header.dataByteLength} (truncated)`);
  if (sha256(data) !== header.dataSha256) throw bad('data fails its SHA-256 check');
  const aligned = new Uint8Array(data); // copy: the data's offset within `bytes` need not be 4-aligned
  const tensors = new Map<string, tf.Tensor>();
  for (const e of header.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + 4 * n > aligned.length) {
      tf.dispose([...tensors.values()]);
      throw bad(`tensor '${e.name}' lies outside the data`);
    }
    tensors.set(e.name, tf.tensor(new Float32Array(aligned.buffer, e.offset, n), e.shape, 'float32'));
  }
  return { state: header.state, tensors };
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

/** Reads and decodes one checkpoint file. */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new TnzipError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      `cannot read checkpoint '${file}': ${(e as Error).message}`,
      { cause: e },
    );
  }
  return decodeCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

/** The newest checkpoint in `dir` that decodes, with its path, or null when there is none. */
export async function latestCheckpoint(dir: string): Promise<{ file: string; checkpoint: Checkpoint } | null> {
  for (const file of await listCheckpoints(dir)) {
    try {
      return { file, checkpoint: await readCheckpoint(file) };
    } catch {
      // an unreadable file (disk damage, a foreign file) falls back to the previous good one
    }
  }
  return null;
}

/** Deletes all but the newest `keep` checkpoints in `dir`. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const files = await listCheckpoints(dir);
  await Promise.all(files.slice(keep).map((f) => fs.rm(f, { force: true })));
}
