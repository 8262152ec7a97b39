import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { describeLoadError } from './load-error.js';

describe('describeLoadError', () => {
  it('prefixes the model directory and appends the stable code', () => {
    const e = new TnzipError('CORRUPT_FILE', 'weights.bin fails its SHA-256 check');
    expect(describeLoadError('models/ada/', e)).toBe('models/ada/: weights.bin fails its SHA-256 check [CORRUPT_FILE]');
    expect(describeLoadError('models/x/', new Error('boom'))).toBe('models/x/: boom');
  });
});

describeBackends('describeLoadError on real load() failures', () => {
  it('names weights.bin for a corrupted copy of a committed model, and model.json for a missing one', async () => {
    const src = join(import.meta.dirname, '..', 'public', 'models', 'dense');
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-demo-'));
    copyFileSync(join(src, 'model.json'), join(dir, 'model.json'));
    const bytes = readFileSync(join(src, 'weights.bin'));
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(join(dir, 'weights.bin'), bytes);
    const corrupt = await load(dir).then(
      () => 'loaded',
      (e: unknown) => describeLoadError('models/dense/', e),
    );
    expect(corrupt).toMatch(/^models\/dense\/: weights\.bin fails its SHA-256 check .*\[CORRUPT_FILE\]$/);
    const missing = await load(join(dir, 'nope')).then(
      () => 'loaded',
      (e: unknown) => describeLoadError('models/nope/', e),
    );
    expect(missing).toMatch(/model\.json.*\[NOT_FOUND\]$/);
  });
});
