import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP, runInProcess } from './cli.test-util.js';
import type { ResultRow } from './results-rows.js';

// The results issue: `tnzip eval docs/models/<name> --json` on each committed model reproduces its
// row's `model_accuracy` on the full test set, and its weights.bin size gives the row's storage ratio.

const ROOT = path.join(APP, '..', '..');

interface EvalJson {
  readonly testCount: number;
  readonly testAcc: number;
  readonly weightsBytes: number;
  readonly denseWeightsBytes: number;
  readonly storageRatio: number;
}

const rows = JSON.parse(await fs.readFile(path.join(ROOT, 'docs', 'results.json'), 'utf8')) as ResultRow[];
const committed = rows.filter(
  (r): r is ResultRow & { model_dir: string; model_accuracy: number } => typeof r.model_dir === 'string',
);

describe('committed models (docs/models)', () => {
  it('there are some', () => {
    expect(committed.length).toBeGreaterThan(0);
  });

  it.each(committed.map((r) => [r.model_dir, r] as const))(
    'tnzip eval %s reproduces its row',
    async (dir, row) => {
      const r = await runInProcess(['eval', path.join(ROOT, dir), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const e = JSON.parse(r.stdout) as EvalJson;
      expect(e.testCount).toBe(10_000);
      // At most one test image apart: another float32 summation order (a kernel or thread-count
      // change) may flip a near-tie; a wrong model or weight file costs far more.
      expect(Math.abs(e.testAcc - row.model_accuracy)).toBeLessThanOrEqual(1 / e.testCount + 1e-12);
      const bin = await fs.stat(path.join(ROOT, dir, 'weights.bin'));
      expect(e.weightsBytes).toBe(bin.size);
      expect(e.storageRatio).toBeCloseTo(e.denseWeightsBytes / bin.size, 9);
      // ADA/SCADA plan without data, so every seed of a row stores the same bytes: the committed
      // model's ratio is the row's.
      expect(Math.abs(e.storageRatio / row.storage_ratio - 1)).toBeLessThan(1e-9);
    },
    120_000,
  );
});
