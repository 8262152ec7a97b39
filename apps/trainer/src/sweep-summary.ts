import type { SweepCell } from './sweep-cell.js';
import type { DenseParent } from './sweep-parent.js';

/** Mean and sample standard deviation (n − 1; 0 for one value) of `xs`, or null when empty. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } | null {
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (xs.length - 1)) };
}

/** One (model, dataset, method, budget) of a sweep over its seeds. */
export interface SweepSummaryRow {
  readonly model: string;
  readonly dataset: string;
  readonly method: string;
  readonly budget: string;
  /** Seeds whose cell finished ok, and every seed that ran. */
  readonly seedsOk: readonly number[];
  readonly seeds: readonly number[];
  /** Over the ok seeds (null when none). Ratios are dense / compressed, whole network. */
  readonly testAcc: { mean: number; std: number } | null;
  readonly denseAcc: { mean: number; std: number } | null;
  readonly paramsRatioLayers: number | null;
  readonly paramsRatioNet: number | null;
  readonly macsRatioNet: number | null;
  /** Dense weights.bin bytes / compressed weights.bin bytes (null for lines without sizes). */
  readonly storageRatio: number | null;
  /** The error of the first failed seed. */
  readonly error: string | null;
}

const mean = (xs: readonly number[]): number | null => meanStd(xs)?.mean ?? null;
const defined = (xs: readonly (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined);

/**
 * Groups `cells` by (model, dataset, method, budget), in first-seen order, with mean ± std over the
 * seeds that finished. `fallback` fills the dataset and seed of lines written before multi-seed sweeps.
 */
export function summarizeCells(
  cells: readonly SweepCell[],
  fallback: { dataset: (model: string) => string; seed: number },
): SweepSummaryRow[] {
  const groups = new Map<string, SweepCell[]>();
  for (const c of cells) {
    const key = [c.model, c.dataset ?? fallback.dataset(c.model), c.method, c.budget].join('|');
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as SweepCell;
    const ok = g.filter((c) => c.status === 'ok');
    const storage = ok.map((c) =>
      c.weightsBytes === undefined || c.denseWeightsBytes === undefined
        ? undefined
        : c.denseWeightsBytes / c.weightsBytes,
    );
    return {
      model: first.model,
      dataset: first.dataset ?? fallback.dataset(first.model),
      method: first.method,
      budget: first.budget,
      seedsOk: ok.map((c) => c.seed ?? fallback.seed),
      seeds: g.map((c) => c.seed ?? fallback.seed),
      testAcc: meanStd(defined(ok.map((c) => c.testAcc))),
      denseAcc: meanStd(ok.map((c) => c.denseAcc)),
      paramsRatioLayers: mean(defined(ok.map((c) => c.paramsRatioLayers))),
      paramsRatioNet: mean(defined(ok.map((c) => c.paramsRatioNet))),
      macsRatioNet: mean(defined(ok.map((c) => c.macsRatioNet))),
      storageRatio: storage.some((s) => s === undefined) ? null : mean(defined(storage)),
      error: g.find((c) => c.status === 'failed')?.error ?? null,
    };
  });
}

const pm = (x: { mean: number; std: number } | null): string =>
  x === null ? '-' : `${(100 * x.mean).toFixed(2)} ± ${(100 * x.std).toFixed(2)}%`;
const ratio = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}x`);

/** The summary as Markdown: one row per (model, dataset, method, budget), accuracy mean ± std over seeds. */
export function summaryTable(rows: readonly SweepSummaryRow[]): string {
  const head =
    '| model | dataset | method | budget | seeds ok | params ratio (compressed layers) | params ratio (net) | MACs ratio (net) | storage ratio (weights.bin) | test acc (mean ± std) | dense acc (mean ± std) | drop (pt) | first error |\n' +
    '|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const body = rows.map((r) => {
    const drop =
      r.testAcc === null || r.denseAcc === null ? '-' : (100 * (r.denseAcc.mean - r.testAcc.mean)).toFixed(2);
    const err = r.error === null ? '' : r.error.replace(/\|/g, '/').slice(0, 120);
    return `| ${r.model} | ${r.dataset} | ${r.method} | ${r.budget} | ${r.seedsOk.length}/${r.seeds.length} | ${ratio(r.paramsRatioLayers)} | ${ratio(r.paramsRatioNet)} | ${ratio(r.macsRatioNet)} | ${ratio(r.storageRatio)} | ${pm(r.testAcc)} | ${pm(r.denseAcc)} | ${drop} | ${err} |`;
  });
  return [head, ...body].join('\n');
}

/** The dense parents as Markdown: test accuracy and whether each reached its recipe's stated target. */
export function parentsTable(parents: readonly DenseParent[]): string {
  const head =
    '| model | dataset | seed | source | recipe, epochs | test acc | recipe target | reached |\n|---|---|---:|---|---|---:|---:|---|';
  const body = parents.map((p) => {
    const target = p.target === null ? '-' : `${(100 * p.target).toFixed(1)}%`;
    const reached = p.reachedTarget === null ? '-' : p.reachedTarget ? 'yes' : 'no';
    return `| ${p.model} | ${p.dataset} | ${p.seed} | ${p.source} | ${p.recipe}${p.epochs === null ? '' : `, ${p.epochs}`} | ${(100 * p.testAcc).toFixed(2)}% (${p.testCount} images) | ${target} | ${reached} |`;
  });
  return [head, ...body].join('\n');
}
