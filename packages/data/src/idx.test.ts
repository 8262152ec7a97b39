import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTnzipError } from '@tnzip/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdxData } from './index.js';
import { encodeIdx, readIdx, readIdxFile } from './index.js';

/** Hand-written IDX bytes, independent of encodeIdx: header then big-endian elements. */
function idxBytes(
  code: number,
  shape: number[],
  elemBytes: number,
  put: (v: DataView, o: number, i: number) => void,
): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + n * elemBytes);
  const v = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => {
    v.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < n; i++) put(v, header + i * elemBytes, i);
  return out;
}

function expectCode(fn: () => unknown, code: string, ...needles: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    for (const n of needles) expect((e as Error).message).toMatch(n);
    return;
  }
  throw new Error(`expected a TnzipError ${code}`);
}

const shape = [2, 3, 2];
const cases: {
  code: number;
  name: string;
  ctor: new (n: number) => IdxData;
  bytes: number;
  values: number[];
  put: (v: DataView, o: number, x: number) => void;
}[] = [
  {
    code: 0x08,
    name: 'ubyte',
    ctor: Uint8Array,
    bytes: 1,
    values: [0, 1, 127, 128, 254, 255, 3, 4, 5, 6, 7, 200],
    put: (v, o, x) => v.setUint8(o, x),
  },
  {
    code: 0x09,
    name: 'byte',
    ctor: Int8Array,
    bytes: 1,
    values: [-128, -1, 0, 1, 127, -5, 3, 4, 5, 6, 7, -100],
    put: (v, o, x) => v.setInt8(o, x),
  },
  {
    code: 0x0b,
    name: 'short',
    ctor: Int16Array,
    bytes: 2,
    values: [-32768, -1, 0, 1, 32767, 258, -258, 4, 5, 6, 7, 1000],
    put: (v, o, x) => v.setInt16(o, x, false),
  },
  {
    code: 0x0c,
    name: 'int',
    ctor: Int32Array,
    bytes: 4,
    values: [-2147483648, -1, 0, 1, 2147483647, 65536, -65536, 4, 5, 6, 7, 16909060],
    put: (v, o, x) => v.setInt32(o, x, false),
  },
  {
    code: 0x0d,
    name: 'float',
    ctor: Float32Array,
    bytes: 4,
    values: [-1.5, 0, 0.25, Math.fround(3.5e10), Math.fround(-2e-20), 1, 2, 3, 4, 5, 6, Math.fround(Math.PI)],
    put: (v, o, x) => v.setFloat32(o, x, false),
  },
  {
    code: 0x0e,
    name: 'double',
    ctor: Float64Array,
    bytes: 8,
    values: [-1.5, 0, 0.25, 3.5e100, -2e-200, 1, 2, 3, 4, 5, 6, Math.PI],
    put: (v, o, x) => v.setFloat64(o, x, false),
  },
];

describe('readIdx', () => {
  for (const c of cases) {
    it(`decodes type 0x${c.code.toString(16)} (${c.name}) big-endian into ${c.ctor.name}`, () => {
      const bytes = idxBytes(c.code, shape, c.bytes, (v, o, i) => c.put(v, o, c.values[i] as number));
      const out = readIdx(bytes);
      expect(out.shape).toEqual(shape);
      expect(out.data).toBeInstanceOf(c.ctor);
      expect(Array.from(out.data)).toEqual(c.values);
      // encodeIdx is the exact inverse: same bytes as the hand-written file.
      const typed = new c.ctor(c.values.length);
      typed.set(c.values);
      expect(encodeIdx(shape, typed)).toEqual(bytes);
    });
  }

  it('round-trips random arrays of every type and rank (property)', () => {
    const arb = fc.tuple(
      fc.integer({ min: 0, max: 5 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }),
      fc.integer({ min: 0, max: 1 << 30 }),
    );
    fc.assert(
      fc.property(arb, ([k, dims, s]) => {
        const c = cases[k]!;
        const n = dims.reduce((a, b) => a * b, 1);
        const data = new c.ctor(n);
        for (let i = 0; i < n; i++)
          data[i] = ((s + i * 7919) % 251) - (c.code === 0x08 ? 0 : 120) + (c.code >= 0x0d ? 0.5 : 0);
        const out = readIdx(encodeIdx(dims, data));
        expect(out.shape).toEqual(dims);
        expect(out.data).toEqual(data);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('inflates gzip-compressed files (detected by the 1f 8b header)', () => {
    const data = Int16Array.from({ length: 60 }, (_, i) => i * 100 - 3000);
    const gz = gzipSync(encodeIdx([3, 4, 5], data));
    expect(gz[0]).toBe(0x1f);
    const out = readIdx(gz);
    expect(out.shape).toEqual([3, 4, 5]);
    expect(out.data).toEqual(data);
  });

  it('rejects a wrong magic number, naming the source', () => {
    const bytes = encodeIdx([2], Uint8Array.of(1, 2));
    bytes[1] = 0x08;
    expectCode(() => readIdx(bytes, 'a.idx'), 'CORRUPT_FILE', 'a.idx', /magic/);
    expectCode(() => readIdx(new TextEncoder().encode('hello world'), 'b.idx'), 'CORRUPT_FILE', 'b.idx', /magic/);
  });

  it('rejects an unknown type code', () => {
    const bytes = encodeIdx([2], Uint8Array.of(1, 2));
    bytes[2] = 0x0a;
    expectCode(() => readIdx(bytes, 'c.idx'), 'CORRUPT_FILE', 'c.idx', /unknown IDX type code 0x0a/);
  });

  it('rejects a truncated file (header or data)', () => {
    const bytes = encodeIdx([10, 10], new Float32Array(100));
    expectCode(
      () => readIdx(bytes.subarray(0, bytes.length - 1), 'd.idx'),
      'CORRUPT_FILE',
      'd.idx',
      /truncated/,
      /\[10, 10\]/,
    );
    expectCode(() => readIdx(bytes.subarray(0, 6), 'd.idx'), 'CORRUPT_FILE', /truncated IDX header/);
    expectCode(() => readIdx(bytes.subarray(0, 2), 'd.idx'), 'CORRUPT_FILE', /truncated IDX header/);
  });

  it('rejects trailing garbage after the data', () => {
    const bytes = encodeIdx([3], Uint8Array.of(1, 2, 3));
    const longer = new Uint8Array(bytes.length + 5);
    longer.set(bytes);
    expectCode(() => readIdx(longer, 'e.idx'), 'CORRUPT_FILE', 'e.idx', /5 trailing bytes/);
  });

  it('rejects a gzip stream that does not inflate', () => {
    const gz = gzipSync(encodeIdx([3], Uint8Array.of(1, 2, 3)));
    expectCode(() => readIdx(gz.subarray(0, 12), 'f.gz'), 'CORRUPT_FILE', 'f.gz', /gzip/);
  });
});

describe('readIdxFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnzip-idx-'));

  it('reads raw and gzip files from disk', () => {
    const data = Float64Array.from({ length: 12 }, (_, i) => i / 3);
    writeFileSync(join(dir, 'x.idx'), encodeIdx([4, 3], data));
    writeFileSync(join(dir, 'x.idx.gz'), gzipSync(encodeIdx([4, 3], data)));
    expect(readIdxFile(join(dir, 'x.idx')).data).toEqual(data);
    expect(readIdxFile(join(dir, 'x.idx.gz')).data).toEqual(data);
  });

  it('names the file in CORRUPT_FILE errors', () => {
    const path = join(dir, 'bad.idx');
    writeFileSync(path, Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 9, 1, 2));
    expectCode(() => readIdxFile(path), 'CORRUPT_FILE', path, /truncated/);
  });

  it('throws NOT_FOUND naming a missing path', () => {
    const path = join(dir, 'nope', 'missing-idx3-ubyte');
    expectCode(() => readIdxFile(path), 'NOT_FOUND', path);
  });
});
