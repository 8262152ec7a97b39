import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '@tnzip/train';
import { COMMON_FLAGS, type FlagSpec, formatHelp, str } from '../args.js';
import { FileError, UsageError } from '../exit-codes.js';
import { rowsOfSweep } from '../results-from-sweep.js';
import { resultsTable, withResultsBlock } from '../results-md.js';
import { formatRows, mergeRows, type ResultRow, rowProblems } from '../results-rows.js';
import { exists } from '../run-dir.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip results`. */
export const RESULTS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: { type: 'string', value: 'FILE', help: 'the results file to write or merge into (e.g. docs/results.json)' },
  md: {
    type: 'string',
    value: 'FILE',
    help: "also rewrite the generated table block of a Markdown page (e.g. docs/results.md; the page's other text is kept)",
  },
  note: {
    type: 'string',
    value: 'TEXT',
    help: "stored in each new row (e.g. 'smoke protocol run, not a headline result')",
  },
  'models-dir': {
    type: 'string',
    value: 'DIR',
    help: "copy each new row's model (first finished seed) into DIR/<name>/ and record model_dir, model_accuracy",
  },
  ...COMMON_FLAGS,
};

/** `tnzip results --help`. */
export const RESULTS_HELP = formatHelp(
  'tnzip results RUN_DIR [RUN_DIR…] --out docs/results.json [--md docs/results.md] [--note TEXT] [--models-dir DIR]',
  'Reads sweep runs and writes one row per (model, dataset, method, budget) with a finished seed: method, format,\n' +
    'model, dataset, budget_metric, budget (the factor asked), budget_scope (compressible|model), param_ratio,\n' +
    'macs_ratio, storage_ratio (whole model: dense weights.bin bytes / compressed weights.bin bytes), accuracy_mean,\n' +
    'accuracy_std (test, fractions; sample std over seeds), dense_accuracy_mean, seeds, command, and more. Rows\n' +
    'merge into --out by (method, format, model, dataset, budget_metric, budget, budget_scope, fine-tuning epochs,\n' +
    "the method's settings off their defaults): a later run replaces the row with its key, other rows stay. Files\n" +
    'are written atomically.',
  RESULTS_FLAGS,
);

async function readRows(file: string): Promise<ResultRow[]> {
  if (!(await exists(file))) return [];
  let rows: unknown;
  try {
    rows = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new FileError(`'${file}' is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(rows)) throw new FileError(`'${file}' must hold a JSON array of result rows`);
  rows.forEach((r, k) => {
    const bad = rowProblems(r);
    if (bad.length > 0) throw new FileError(`'${file}' row ${k}: ${bad.join('; ')}`);
  });
  return rows as ResultRow[];
}

/**
 * `--out` / `--md` must go into a writable directory, checked before anything is read, copied or
 * written: a bad `--md` never leaves `--out` updated and the page not (or models copied for neither).
 */
async function checkWritable(flag: string, file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    if (!(await fs.stat(dir)).isDirectory()) throw new Error('not a directory');
    await fs.access(dir, fs.constants.W_OK);
  } catch (e) {
    throw new FileError(
      `--${flag}: cannot write '${file}': directory '${dir}' is not writable (${(e as Error).message})`,
    );
  }
}

/** `tnzip results`. */
export async function resultsCommand(ctx: CommandContext): Promise<number> {
  const out = str(ctx.values, 'out');
  if (out === undefined) throw new UsageError('--out FILE is required (e.g. --out docs/results.json)');
  if (ctx.positionals.length === 0) throw new UsageError('name at least one sweep run directory');
  const md = str(ctx.values, 'md');
  await checkWritable('out', out);
  if (md !== undefined) await checkWritable('md', md);
  const existing = await readRows(out);
  const note = str(ctx.values, 'note');
  const modelsDir = str(ctx.values, 'models-dir');
  const incoming: ResultRow[] = [];
  for (const runDir of ctx.positionals) {
    const r = await rowsOfSweep(runDir, {
      ...(note === undefined ? {} : { note }),
      ...(modelsDir === undefined ? {} : { modelsDir }),
    });
    for (const s of r.skipped) ctx.progress.note(`no row (no seed finished): ${s}`);
    incoming.push(...r.rows);
  }
  for (const row of incoming) {
    const bad = rowProblems(row);
    if (bad.length > 0) throw new FileError(`a row of ${row.model} ${row.method} is invalid: ${bad.join('; ')}`);
  }
  const rows = mergeRows(existing, incoming);
  await writeFileAtomic(out, formatRows(rows));
  if (md !== undefined) {
    const page = (await exists(md)) ? await fs.readFile(md, 'utf8') : '';
    await writeFileAtomic(md, withResultsBlock(page, resultsTable(rows)));
  }
  if (ctx.json) ctx.out(JSON.stringify({ out, rows: rows.length, added: incoming.length }));
  else ctx.out(`${incoming.length} row(s) from ${ctx.positionals.length} run(s) merged: ${out} holds ${rows.length}`);
  return 0;
}
