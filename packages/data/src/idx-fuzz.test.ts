import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTnzipError } from '@tnzip/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFLATE_MAX_RATIO } from './idx-header.js';
import { encodeIdx, readIdx, readIdxFile, readIdxFileHeader } from './index.js';

/**
 * Property-based fuzzing of the IDX reader: valid files (raw and gzip) with edited headers,
 * truncated, bit-flipped, grown, re-compressed or bomb-padded must decode to consistent arrays or
 * fail with CORRUPT_FILE, fast, and never allocate more than the input can justify.
 * TNZIP_FUZZ_RUNS sets the case count (a few hundred in CI).
 */
const RUNS = Number(process.env.TNZIP_FUZZ_RUNS ?? 400);

type Mutation =
  | { op: 'byte'; at: number; value: number }
  | { op: 'dim'; index: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'grow'; by: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('byte' as const),
    at: fc.integer({ min: 0, max: 3 }),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    op: fc.constant('dim' as const),
    index: fc.integer({ min: 0, max: 3 }),
    value: fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 60000, 1e6), fc.nat()),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('grow' as const), by: fc.integer({ min: 1, max: 512 }) }),
);

function apply(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of ms) {
    if (m.op === 'byte' && b.length > m.at) b[m.at] = m.value;
    else if (m.op === 'dim' && b.length >= 8 + 4 * m.index)
      new DataView(b.buffer, b.byteOffset).setUint32(4 + 4 * m.index, m.value >>> 0, false);
    else if (m.op === 'truncate') b = b.subarray(0, m.at % (b.length + 1));
    else if (m.op === 'flip' && b.length > 0) {
      const i = m.at % b.length;
      b[i] = (b[i] as number) ^ (1 << m.bit);
    } else if (m.op === 'grow') b = Uint8Array.from([...b, ...new Uint8Array(m.by)]);
  }
  return b;
}

const MIB_OF_ZEROS = gzipSync(new Uint8Array(2 ** 20), { level: 9 });

/** Reads `bytes` and checks the contract. */
function check(bytes: Uint8Array, gz: boolean): void {
  const t0 = performance.now();
  try {
    const { shape, data } = readIdx(bytes, 'fuzz');
    expect(data.length).toBe(shape.includes(0) ? 0 : shape.reduce((a, d) => a * d, 1));
    // Never more than the input can justify (deflate expands at most 1032:1).
    expect(data.byteLength).toBeLessThanOrEqual(gz ? DEFLATE_MAX_RATIO * bytes.length + 1024 : bytes.length);
  } catch (e) {
    if (!isTnzipError(e) || e.code !== 'CORRUPT_FILE')
      throw new Error(`undocumented failure: ${String(e)}`, { cause: e });
  }
  // Bombs of up to 64 MiB inflate up to their header's size: well under a second on an idle core.
  expect(performance.now() - t0).toBeLessThan(5000);
}

describe('IDX reader under fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnzip-idx-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const valid = fc
    .record({
      shape: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }),
      type: fc.constantFrom('u8', 'i16', 'f32', 'f64'),
    })
    .map(({ shape, type }) => {
      const n = shape.reduce((a, d) => a * d, 1);
      const data =
        type === 'u8'
          ? new Uint8Array(n).map((_, i) => i)
          : type === 'i16'
            ? new Int16Array(n).map((_, i) => i - 7)
            : type === 'f32'
              ? new Float32Array(n).map((_, i) => i / 3)
              : new Float64Array(n).map((_, i) => -i / 7);
      return encodeIdx(shape, data);
    });

  it(`mutated raw and gzip IDX bytes (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        valid,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('raw', 'gzip-after', 'gzip-before', 'bomb'),
        fc.integer({ min: 1, max: 64 }),
        (raw, ms, mode, mib) => {
          if (mode === 'raw') check(apply(raw, ms), false);
          else if (mode === 'gzip-after') check(gzipSync(apply(raw, ms)), true);
          else if (mode === 'gzip-before') check(apply(gzipSync(raw), ms), true);
          else {
            const head = gzipSync(apply(raw, ms));
            const b = new Uint8Array(head.length + mib * MIB_OF_ZEROS.length);
            b.set(head);
            for (let i = 0; i < mib; i++) b.set(MIB_OF_ZEROS, head.length + i * MIB_OF_ZEROS.length);
            check(b, true);
          }
        },
      ),
      { numRuns: RUNS, seed: 18 },
    );
    // Memory: each case's output is bounded above (≤ 1032 × its input); the peak of one bomb is
    // measured deterministically in idx-bomb.test.ts (an aggregate RSS over thousands of cases
    // would measure the garbage collector).
  });

  it(`mutated IDX files: readIdxFile and readIdxFileHeader agree (${Math.ceil(RUNS / 8)} cases)`, () => {
    let n = 0;
    fc.assert(
      fc.property(valid, fc.array(mutation, { maxLength: 3 }), fc.boolean(), (raw, ms, gz) => {
        const file = join(dir, `f${n++}`);
        const bytes = gz ? gzipSync(apply(raw, ms)) : apply(raw, ms);
        writeFileSync(file, bytes);
        let header: number[] | null = null;
        try {
          header = readIdxFileHeader(file).shape;
        } catch (e) {
          if (!isTnzipError(e) || e.code !== 'CORRUPT_FILE') throw e;
        }
        try {
          const { shape } = readIdxFile(file);
          expect(shape).toEqual(header); // a file that decodes has the header that was read alone
        } catch (e) {
          if (!isTnzipError(e) || e.code !== 'CORRUPT_FILE') throw e;
        }
        rmSync(file);
      }),
      { numRuns: Math.ceil(RUNS / 8), seed: 19 },
    );
  });
});
