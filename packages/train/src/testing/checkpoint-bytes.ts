/**
 * Takes a checkpoint file apart and puts it back together with a valid hash, so that tests can
 * make files whose bytes were edited *and* re-hashed: what is left to catch them is the header's
 * range checks and the resume's position checks.
 */
import { createHash } from 'node:crypto';

/** The parts of a checkpoint file (version 1 or 2). */
export interface CheckpointParts {
  readonly version: number;
  readonly header: unknown;
  readonly data: Uint8Array;
}

export function splitCheckpoint(bytes: Uint8Array): CheckpointParts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  const hlen = view.getUint32(8, true);
  const end = version === 2 ? bytes.length - 32 : bytes.length;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  return { version, header, data: bytes.slice(12 + hlen, end) };
}

/** A version-2 file of `header` and `data`, hashed as the writer hashes it. */
export function sealCheckpoint(header: unknown, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(header);
  const pad = (4 - (new TextEncoder().encode(text).length % 4)) % 4;
  text += ' '.repeat(pad);
  const h = new TextEncoder().encode(text);
  const body = new Uint8Array(12 + h.length + data.length);
  body.set(new TextEncoder().encode('TNZC'), 0);
  new DataView(body.buffer).setUint32(4, 2, true);
  new DataView(body.buffer).setUint32(8, h.length, true);
  body.set(h, 12);
  body.set(data, 12 + h.length);
  const out = new Uint8Array(body.length + 32);
  out.set(body, 0);
  out.set(createHash('sha256').update(body).digest(), body.length);
  return out;
}

/** `bytes` with the first occurrence of ASCII `from` in the header replaced by `to` (same length: no re-hash). */
export function editHeaderText(bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('editHeaderText keeps the length');
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`'${from}' not in the checkpoint`);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(to), at);
  return out;
}
