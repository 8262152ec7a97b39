import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTnzipError } from '@tnzip/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, readIdx, readIdxFile, readIdxFileHeader } from './index.js';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e), String(e)).toBe(true);
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('expected a TnzipError');
}

/**
 * A gzip bomb: a valid IDX header for 1000 bytes of images, followed by `mib` MiB of zeros, as
 * concatenated gzip members (gunzip reads them as one stream): ~1 KiB per MiB inflated.
 */
function bomb(mib: number): Uint8Array {
  const head = gzipSync(encodeIdx([10, 10, 10], new Uint8Array(1000)));
  const mb = gzipSync(new Uint8Array(2 ** 20), { level: 9 });
  const out = new Uint8Array(head.length + mib * mb.length);
  out.set(head, 0);
  for (let i = 0; i < mib; i++) out.set(mb, head.length + i * mb.length);
  return out;
}

describe('IDX reader against hostile files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tnzip-bomb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops inflating a gzip bomb at the size its header implies (no 128 MiB allocation)', () => {
    const b = bomb(128);
    expect(b.length).toBeLessThan(300_000);
    const rss = process.resourceUsage().maxRSS;
    const t0 = performance.now();
    const e = codeOf(() => readIdx(b, 'bomb.gz'));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/^bomb\.gz: gzip stream inflates past the 1016 bytes its IDX header implies/);
    expect(process.resourceUsage().maxRSS - rss).toBeLessThan(32 * 1024); // KiB
  });

  it('refuses a header that claims more than the cap or more than the gzip bytes can hold', () => {
    const big = new Uint8Array(16);
    big[2] = 0x08;
    big[3] = 3;
    new DataView(big.buffer).setUint32(4, 100_000, false);
    new DataView(big.buffer).setUint32(8, 100, false);
    new DataView(big.buffer).setUint32(12, 1000, false);
    const e = codeOf(() => readIdx(gzipSync(big), 'big.gz'));
    expect([e.code, e.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/more than the 1073741824 allowed/)]);
    const small = encodeIdx([100, 100, 100], new Uint8Array(1e6));
    expect(codeOf(() => readIdx(gzipSync(small).subarray(0, 200), 'cut.gz')).message).toMatch(
      /more than 200 gzip bytes can hold/,
    );
    expect(codeOf(() => readIdx(small, 'raw', { maxBytes: 1000 })).message).toMatch(/more than the 1000 allowed/);
    expect(readIdx(gzipSync(small)).shape).toEqual([100, 100, 100]);
  });

  it('handles a zero dimension beside overflowing ones (Infinity · 0; found by fuzzing)', () => {
    const h = new Uint8Array(4 + 4 * 4);
    h[2] = 0x08;
    h[3] = 4;
    const v = new DataView(h.buffer);
    v.setUint32(4, 0xffffffff, false);
    v.setUint32(8, 0xffffffff, false);
    v.setUint32(12, 0xffffffff, false);
    v.setUint32(16, 0xffffffff, false);
    expect(codeOf(() => readIdx(h, 'inf')).message).toMatch(/more than the 1073741824 allowed/);
    v.setUint32(16, 0, false);
    const empty = readIdx(h, 'zero');
    expect([empty.data.length, empty.shape[3]]).toEqual([0, 0]);
    expect(codeOf(() => readIdx(Uint8Array.from([...h, 1]), 'zero+1')).message).toMatch(/1 trailing bytes/);
  });

  it('refuses a FIFO at once instead of blocking', () => {
    const fifo = join(dir, 'fifo-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    const e = codeOf(() => readIdxFile(fifo));
    expect([e.code, e.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/must be a regular file/)]);
  });

  it('reads only the header for readIdxFileHeader, raw or gzip, even of a bomb', () => {
    const raw = join(dir, 'imgs');
    writeFileSync(raw, encodeIdx([50, 7, 9], new Uint8Array(50 * 63)));
    expect(readIdxFileHeader(raw)).toEqual({ code: 8, shape: [50, 7, 9], headerBytes: 16, totalBytes: 16 + 50 * 63 });
    const gz = join(dir, 'bomb.gz');
    writeFileSync(gz, bomb(64));
    const rss = process.resourceUsage().maxRSS;
    expect(readIdxFileHeader(gz).shape).toEqual([10, 10, 10]);
    expect(process.resourceUsage().maxRSS - rss).toBeLessThan(16 * 1024);
    const bad = join(dir, 'bad');
    writeFileSync(bad, new Uint8Array([1, 2, 3, 4, 5]));
    expect(codeOf(() => readIdxFileHeader(bad)).message).toMatch(/wrong IDX magic number/);
    writeFileSync(bad, new Uint8Array([0, 0, 8, 3, 0]));
    expect(codeOf(() => readIdxFileHeader(bad)).message).toMatch(/truncated IDX header/);
  });
});
