import * as path from 'node:path';
import type { EpochRecord, MetricsRecord } from '@tnzip/train';
import { lineChart } from './plots.js';
import { fileNamePart, readJsonLines } from './run-dir.js';
import { cellName, type SweepCell } from './sweep-cell.js';
import { meanStd } from './sweep-summary.js';

/**
 * Test accuracy along fine-tuning: how fast each method's compressed model recovers, not only where
 * it ends. A cell's curve is `[before fine-tuning, after epoch 1, …, after epoch E]` (fractions).
 */

/** A cell's identity and its curve (null: the cell has none, e.g. it failed or did not fine-tune). */
export interface CellCurve {
  readonly cell: SweepCell;
  readonly curve: readonly number[] | null;
}

/** One (model, dataset, method, budget) over its seeds: mean ± std at each point of the curve. */
export interface CurveRow {
  readonly model: string;
  readonly dataset: string;
  readonly method: string;
  readonly budget: string;
  /** Seeds that have a curve. */
  readonly seeds: number;
  /** Index 0: before fine-tuning; index e: after fine-tuning epoch e. */
  readonly points: ReadonlyArray<{ mean: number; std: number }>;
}

/**
 * The curve of `cell`: its `finetuneTestAcc` line field, or, for lines written before that field,
 * the epoch lines of `<runDir>/cells/<cell>/metrics.jsonl` — kept only when their last test accuracy
 * is the cell's reported one (a stale or foreign log is ignored). Never reads outside `runDir/cells`.
 */
export async function cellCurve(runDir: string, cell: SweepCell): Promise<number[] | null> {
  if (cell.status !== 'ok' || cell.beforeFinetuneAcc === undefined || cell.testAcc === undefined) return null;
  if (cell.finetuneTestAcc !== undefined) return [cell.beforeFinetuneAcc, ...cell.finetuneTestAcc];
  const cellsDir = path.resolve(runDir, 'cells');
  if (cell.dataset === undefined || cell.seed === undefined) return null; // lines older than multi-seed sweeps
  const name = cellName({ ...cell, dataset: cell.dataset, seed: cell.seed, budgetLabel: cell.budget });
  const file = path.resolve(cellsDir, name, 'metrics.jsonl');
  if (path.dirname(path.dirname(file)) !== cellsDir) return null;
  const lines: MetricsRecord[] = await readJsonLines<MetricsRecord>(file).catch(() => []);
  const epochs = lines.filter((r): r is EpochRecord => r.type === 'epoch').map((r) => r.testAcc);
  if (epochs.length === 0 || !epochs.every((a): a is number => typeof a === 'number')) return null;
  return epochs[epochs.length - 1] === cell.testAcc ? [cell.beforeFinetuneAcc, ...epochs] : null;
}

/** Groups curves by (model, dataset, method, budget) in first-seen order; only full-length curves of a group count. */
export function curveRows(curves: readonly CellCurve[]): CurveRow[] {
  const groups = new Map<string, { cell: SweepCell; curves: (readonly number[])[] }>();
  for (const { cell, curve } of curves) {
    if (curve === null) continue;
    const key = [cell.model, cell.dataset ?? '', cell.method, cell.budget].join('|');
    const g = groups.get(key) ?? { cell, curves: [] };
    g.curves.push(curve);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ cell, curves: cs }) => {
    const length = Math.max(...cs.map((c) => c.length));
    const full = cs.filter((c) => c.length === length);
    const points = Array.from(
      { length },
      (_, e) => meanStd(full.map((c) => c[e] as number)) as { mean: number; std: number },
    );
    return {
      model: cell.model,
      dataset: cell.dataset ?? '',
      method: cell.method,
      budget: cell.budget,
      seeds: full.length,
      points,
    };
  });
}

/** The rows as Markdown: one column per point of the curve (mean ± std over seeds, %). */
export function curveTable(rows: readonly CurveRow[]): string {
  const width = Math.max(0, ...rows.map((r) => r.points.length));
  const cols = Array.from({ length: width }, (_, e) => (e === 0 ? 'before' : `epoch ${e}`));
  const head = `| model | dataset | method | budget | seeds | ${cols.join(' | ')} |\n|---|---|---|---|---:|${cols.map(() => '---:').join('|')}|`;
  const body = rows.map((r) => {
    const cells = cols.map((_, e) => {
      const p = r.points[e];
      return p === undefined ? '-' : `${(100 * p.mean).toFixed(2)} ± ${(100 * p.std).toFixed(2)}`;
    });
    return `| ${r.model} | ${r.dataset} | ${r.method} | ${r.budget} | ${r.seeds} | ${cells.join(' | ')} |`;
  });
  return [head, ...body].join('\n');
}

/**
 * One SVG per (model, dataset, budget): mean test accuracy against fine-tuning epoch, a line per
 * method. With two epochs or more the plot starts at epoch 1: the accuracies right after
 * factorization lie tens of points below (greedy's ~60 % against ~99 %) and would flatten the
 * lines where the methods are compared; the table has them.
 */
export async function curvePlots(rows: readonly CurveRow[]): Promise<Array<{ name: string; svg: string }>> {
  const groups = new Map<string, CurveRow[]>();
  for (const r of rows) {
    const key = `${r.model}|${r.dataset}|${r.budget}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Array<{ name: string; svg: string }> = [];
  for (const g of groups.values()) {
    const { model, dataset, budget } = g[0] as CurveRow;
    const first = Math.max(...g.map((r) => r.points.length)) > 2 ? 1 : 0;
    const points = g.flatMap((r) =>
      r.points.map((p, e) => ({ x: e, y: 100 * p.mean, series: r.method })).filter((p) => p.x >= first),
    );
    const svg = await lineChart(points, {
      title: `${model} on ${dataset}, ${budget}: test accuracy along fine-tuning (mean over seeds)`,
      x:
        first === 0
          ? 'fine-tuning epochs (0: right after factorization)'
          : 'fine-tuning epochs (before: see the table)',
      y: 'test accuracy (%)',
    });
    out.push({ name: `finetune-${[model, dataset, budget].map(fileNamePart).join('-')}.svg`, svg });
  }
  return out;
}
