import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP } from './cli.test-util.js';
import { RESULTS_BEGIN, RESULTS_END, resultsTable, withResultsBlock } from './results-md.js';
import { formatRows, mergeRows, type ResultRow, rowKey, rowProblems } from './results-rows.js';

const ROW: ResultRow = {
  method: 'energy',
  format: 'tucker2',
  model: 'lenet300',
  dataset: 'mnist',
  budget_metric: 'params',
  budget: 4,
  budget_scope: 'compressible',
  param_ratio: 3.1,
  macs_ratio: 3.1,
  storage_ratio: 3.1,
  accuracy_mean: 0.95,
  accuracy_std: 0.002,
  dense_accuracy_mean: 0.96,
  seeds: [0, 1],
  command: 'tnzip sweep --model lenet300',
};

/** Exactly the fields the results issue lists for every row. */
const REQUIRED = [
  'method',
  'format',
  'model',
  'dataset',
  'budget_metric',
  'budget',
  'budget_scope',
  'param_ratio',
  'macs_ratio',
  'storage_ratio',
  'accuracy_mean',
  'accuracy_std',
  'dense_accuracy_mean',
  'seeds',
  'command',
];

describe('docs/results.json', () => {
  it('is an array of rows that each pass the schema, with unique keys', async () => {
    const file = path.join(APP, '..', '..', 'docs', 'results.json');
    const rows = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    expect(Array.isArray(rows)).toBe(true);
    for (const [k, r] of (rows as ResultRow[]).entries()) {
      expect(rowProblems(r), `row ${k}`).toEqual([]);
      for (const f of REQUIRED) expect(r, `row ${k}`).toHaveProperty(f);
      // A committed model re-evaluates from its directory.
      if (r.model_dir !== undefined)
        await expect(fs.access(path.join(APP, '..', '..', r.model_dir, 'model.json'))).resolves.toBeUndefined();
    }
    const keys = (rows as ResultRow[]).map(rowKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('rowProblems', () => {
  it('accepts a complete row and names each bad field', () => {
    expect(rowProblems(ROW)).toEqual([]);
    expect(rowProblems({ ...ROW, note: 'extra fields are allowed' })).toEqual([]);
    expect(rowProblems({ ...ROW, accuracy_mean: 95 })).toEqual(['accuracy_mean must be a fraction in [0, 1], got 95']);
    expect(rowProblems({ ...ROW, budget_scope: 'layers' })[0]).toMatch(/^budget_scope must be compressible\|model/);
    expect(rowProblems({ ...ROW, method: 'nope' })[0]).toMatch(/^method must be one of .*energy/);
    expect(rowProblems({ ...ROW, seeds: [0, 0] })[0]).toMatch(/^seeds must be/);
    expect(rowProblems({ ...ROW, seeds: [] })[0]).toMatch(/^seeds must be/);
    expect(rowProblems({ ...ROW, budget: 0.25 })[0]).toMatch(/^budget must be a factor >= 1/);
    expect(rowProblems({ ...ROW, storage_ratio: Number.NaN })[0]).toMatch(/^storage_ratio/);
    expect(rowProblems({ ...ROW, model_dir: 'docs/models/x' })).toEqual(['model_dir and model_accuracy come together']);
    const { command: _c, ...noCommand } = ROW;
    expect(rowProblems(noCommand)).toEqual(["command must be the command line, 'tnzip …', got undefined"]);
    expect(rowProblems([])).toEqual(['a row must be an object']);
  });
});

describe('mergeRows', () => {
  it('replaces the row with the same key in place, keeps the others, appends new keys', () => {
    const a = ROW;
    const b = { ...ROW, budget: 10 };
    const a2 = { ...ROW, accuracy_mean: 0.9 };
    const c = { ...ROW, method: 'uniform' };
    expect(mergeRows([a, b], [c, a2])).toEqual([a2, b, c]);
    // A different scope or metric is another row.
    expect(mergeRows([a], [{ ...ROW, budget_scope: 'model' }])).toHaveLength(2);
    // So is a longer fine-tuning schedule.
    const ten = { ...ROW, finetune_epochs: 10 };
    expect(mergeRows([ten], [{ ...ROW, finetune_epochs: 100 }])).toHaveLength(2);
    expect(mergeRows([ten], [{ ...ten, accuracy_mean: 0.5 }])).toEqual([{ ...ten, accuracy_mean: 0.5 }]);
    // And an ablation: the same method with a knob off its default.
    const ablation = { ...ten, settings: '--batude-lambda 0' };
    expect(mergeRows([ten], [ablation])).toEqual([ten, ablation]);
    expect(mergeRows([ten, ablation], [{ ...ablation, accuracy_mean: 0.4 }])).toEqual([
      ten,
      { ...ablation, accuracy_mean: 0.4 },
    ]);
  });
});

describe('mergeRows and committed models', () => {
  it("keeps a row's committed model when the same run is merged again without one, not across runs", () => {
    const committed = { ...ROW, run: 'r1', model_dir: 'docs/models/x', model_accuracy: 0.9, model_seed: 0 };
    const again = { ...ROW, run: 'r1', accuracy_mean: 0.91 };
    expect(mergeRows([committed], [again])).toEqual([
      { ...again, model_dir: 'docs/models/x', model_accuracy: 0.9, model_seed: 0 },
    ]);
    // Another run replaces the row and its model: the committed one no longer belongs to it.
    expect(mergeRows([committed], [{ ...again, run: 'r2' }])).toEqual([{ ...again, run: 'r2' }]);
    // A new model of the same run replaces the old one.
    const newer = { ...again, model_dir: 'docs/models/y', model_accuracy: 0.92, model_seed: 0 };
    expect(mergeRows([committed], [newer])).toEqual([newer]);
  });
});

describe('withResultsBlock', () => {
  it('appends the table to a hand-written page once, then replaces only the block', () => {
    const page = '# Results\n\nHand-written text.\n';
    const once = withResultsBlock(page, resultsTable([ROW]));
    expect(once.startsWith(page.trimEnd())).toBe(true);
    expect(once).toContain(RESULTS_BEGIN);
    expect(once).toContain('| 1 | lenet300 | mnist | energy | tucker2 | 4x params (compressible) | 3.1x |');
    expect(once).toContain('95.00 ± 0.20');
    expect(once).toContain('- rows 1: `tnzip sweep --model lenet300`');
    const twice = withResultsBlock(`${once}\nMore text after.\n`, resultsTable([ROW, { ...ROW, budget: 10 }]));
    expect(twice.split(RESULTS_BEGIN)).toHaveLength(2);
    expect(twice.split(RESULTS_END)).toHaveLength(2);
    expect(twice).toContain('| 2 | lenet300 | mnist | energy | tucker2 | 10x params');
    expect(twice).toContain('Hand-written text.');
    expect(twice.trimEnd().endsWith('More text after.')).toBe(true);
  });
});

describe('formatRows', () => {
  it('writes JSON that parses back to the rows', () => {
    const rows = [ROW, { ...ROW, budget: 10, note: 'a "quoted" note' }];
    expect(JSON.parse(formatRows(rows))).toEqual(rows);
    expect(formatRows(rows)).toContain('    "seeds": [0, 1],\n');
    expect(JSON.parse(formatRows([]))).toEqual([]);
  });
});
