import { MODEL_NAMES } from '@tnzip/zoo';
import { DATASET_NAMES } from './datasets.js';
import { methodNames } from './methods.js';

/** Budget metrics a row may name (the issue's list; `storage` and `latency` arrive with their budgets). */
export const RESULT_METRICS = ['params', 'macs', 'storage', 'latency'] as const;

/**
 * One row of `docs/results.json`: a (method, format, model, dataset, budget) result over seeds. The
 * fields are the ones the project's results issue lists (snake_case, as there); more are allowed.
 * Ratios are dense / compressed of the whole model; accuracies are test top-1 fractions in [0, 1].
 */
export interface ResultRow {
  /** The CLI's `--method` name. */
  readonly method: string;
  /** The factorized format the method planned (`tucker2`, `tt`, `ada-tucker`, …). */
  readonly format: string;
  /** The zoo's model name. */
  readonly model: string;
  readonly dataset: string;
  readonly budget_metric: (typeof RESULT_METRICS)[number];
  /** The reduction factor asked for (`4` for `--budget 4x` or `--budget 0.25`). */
  readonly budget: number;
  /** What the budget counted: the compressible layers (`--scope layers`) or the whole model. */
  readonly budget_scope: 'compressible' | 'model';
  readonly param_ratio: number;
  readonly macs_ratio: number;
  /** Bytes of the dense float32 weights.bin / bytes of the compressed weights.bin (mean over seeds). */
  readonly storage_ratio: number;
  readonly accuracy_mean: number;
  /** Sample standard deviation over the seeds (n − 1; 0 for one seed). */
  readonly accuracy_std: number;
  readonly dense_accuracy_mean: number;
  /** The seeds the figures are over (every seed whose cell finished). */
  readonly seeds: readonly number[];
  /** The exact command that produced the run. */
  readonly command: string;
  /** A committed model directory (relative to the repository root) and its own test accuracy. */
  readonly model_dir?: string;
  readonly model_accuracy?: number;
  readonly [extra: string]: unknown;
}

/**
 * The fields that identify a row: a merge replaces the row with the same key. The fine-tuning
 * length and the method's settings off their defaults (`settings`, e.g. `--batude-lambda 0`) are
 * part of it where a row records them, so a longer schedule or an ablation is a row of its own.
 */
export function rowKey(r: ResultRow): string {
  const epochs = typeof r.finetune_epochs === 'number' ? r.finetune_epochs : '';
  const settings = typeof r.settings === 'string' ? r.settings : '';
  return [r.method, r.format, r.model, r.dataset, r.budget_metric, r.budget, r.budget_scope, epochs, settings].join(
    '|',
  );
}

const isFrac = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
const isPos = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isText = (x: unknown): boolean => typeof x === 'string' && x.length > 0;

/**
 * What is wrong with `row` as a `docs/results.json` row (empty: valid). Checks every required field's
 * presence, type and range, and that `model_dir` and `model_accuracy` come together.
 */
export function rowProblems(row: unknown): string[] {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return ['a row must be an object'];
  const r = row as Record<string, unknown>;
  const checks: Array<[string, boolean, string]> = [
    ['method', methodNames().includes(r.method as string), `one of ${methodNames().join(', ')}`],
    ['format', isText(r.format), 'a non-empty string'],
    ['model', (MODEL_NAMES as readonly unknown[]).includes(r.model), `one of ${MODEL_NAMES.join(', ')}`],
    ['dataset', (DATASET_NAMES as readonly unknown[]).includes(r.dataset), `one of ${DATASET_NAMES.join(', ')}`],
    ['budget_metric', (RESULT_METRICS as readonly unknown[]).includes(r.budget_metric), RESULT_METRICS.join('|')],
    ['budget', typeof r.budget === 'number' && Number.isFinite(r.budget) && r.budget >= 1, 'a factor >= 1'],
    ['budget_scope', r.budget_scope === 'compressible' || r.budget_scope === 'model', 'compressible|model'],
    ['param_ratio', isPos(r.param_ratio), 'a positive number'],
    ['macs_ratio', isPos(r.macs_ratio), 'a positive number'],
    ['storage_ratio', isPos(r.storage_ratio), 'a positive number'],
    ['accuracy_mean', isFrac(r.accuracy_mean), 'a fraction in [0, 1]'],
    ['accuracy_std', isFrac(r.accuracy_std), 'a fraction in [0, 1]'],
    ['dense_accuracy_mean', isFrac(r.dense_accuracy_mean), 'a fraction in [0, 1]'],
    [
      'seeds',
      Array.isArray(r.seeds) &&
        r.seeds.length > 0 &&
        r.seeds.every((s) => Number.isInteger(s) && (s as number) >= 0) &&
        new Set(r.seeds).size === r.seeds.length,
      'a non-empty array of distinct integer seeds',
    ],
    ['command', typeof r.command === 'string' && r.command.startsWith('tnzip '), "the command line, 'tnzip …'"],
  ];
  const out = checks.filter(([, ok]) => !ok).map(([k, , want]) => `${k} must be ${want}, got ${JSON.stringify(r[k])}`);
  if ((r.model_dir === undefined) !== (r.model_accuracy === undefined))
    out.push('model_dir and model_accuracy come together');
  if (r.model_dir !== undefined && !isText(r.model_dir)) out.push('model_dir must be a path');
  if (r.model_accuracy !== undefined && !isFrac(r.model_accuracy)) out.push('model_accuracy must be a fraction');
  return out;
}

/**
 * `next` keeping `old`'s committed model (`model_dir`, `model_accuracy`, `model_seed`) when `next`
 * has none and comes from the same run (`run`), so re-merging a run without `--models-dir` does not
 * drop it.
 */
function keepModel(old: ResultRow, next: ResultRow): ResultRow {
  if (next.model_dir !== undefined || old.model_dir === undefined) return next;
  if (typeof old.run !== 'string' || old.run !== next.run) return next;
  const seeds = next.seeds as readonly number[];
  if (typeof old.model_seed === 'number' && !seeds.includes(old.model_seed)) return next;
  const kept = { model_dir: old.model_dir, model_accuracy: old.model_accuracy };
  return { ...next, ...kept, ...(old.model_seed === undefined ? {} : { model_seed: old.model_seed }) };
}

/**
 * Rows of `existing` with each row of `incoming` replacing the one with its key (new keys
 * appended); a replaced row's committed model is kept when the new row is of the same run.
 */
export function mergeRows(existing: readonly ResultRow[], incoming: readonly ResultRow[]): ResultRow[] {
  const byKey = new Map(incoming.map((r) => [rowKey(r), r]));
  const merged = existing.map((r) => {
    const k = rowKey(r);
    const next = byKey.get(k);
    if (next === undefined) return r;
    byKey.delete(k);
    return keepModel(r, next);
  });
  return [...merged, ...byKey.values()];
}

/**
 * `rows` as the text of `docs/results.json`: two-space indentation, one field a line, arrays of
 * scalars on one line (the layout Biome's formatter keeps, so the committed file passes the lint).
 */
export function formatRows(rows: readonly ResultRow[]): string {
  if (rows.length === 0) return '[]\n';
  const value = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v);
  const row = (r: ResultRow): string =>
    `  {\n${Object.entries(r)
      .map(([k, v]) => `    ${JSON.stringify(k)}: ${value(v)}`)
      .join(',\n')}\n  }`;
  return `[\n${rows.map(row).join(',\n')}\n]\n`;
}
