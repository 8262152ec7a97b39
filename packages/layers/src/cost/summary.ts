import { Graph } from '../layers/graph.js';
import { Residual } from '../layers/residual.js';
import { Sequential } from '../layers/sequential.js';
import type { Cost, Module, Shape } from '../module.js';

/** One row of {@link summary}: a layer (a module that is not a plain container). */
export interface SummaryRow {
  /** Full path, e.g. `'layer1.0.conv1'` (`''` for a root that is itself a layer). */
  readonly name: string;
  readonly kind: string;
  /** Input shape without the batch axis. */
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Ranks from the layer's config (`ranks`, `rank`, `rankS`/`rankT`), or `''` for a dense layer. */
  readonly ranks: string;
  readonly params: number;
  readonly macs: number;
}

/** What {@link summary} returns: one row per layer plus the model's totals. */
export interface Summary {
  readonly rows: readonly SummaryRow[];
  readonly total: Cost;
}

/** Modules that only route data (their cost is their children's). */
function isContainer(m: Module): boolean {
  return m instanceof Sequential || m instanceof Residual || m instanceof Graph;
}

/**
 * Cost of every module of `model` for an input of `inputShape` (batch axis excluded), keyed by
 * full path, in the order the cost model visits them. Shapes are propagated by the modules' own
 * `cost` methods, so any container (including factorized layers with children) is followed.
 */
export function layerCosts(
  model: Module,
  inputShape: Shape,
): { total: Cost; layers: Map<string, { module: Module; inputShape: Shape; cost: Cost }> } {
  const layers = new Map<string, { module: Module; inputShape: Shape; cost: Cost }>();
  const patched: Module[] = [];
  const mods = model.namedModules();
  try {
    for (const [path, m] of mods) {
      const original = Object.getPrototypeOf(m).cost as (s: Shape) => Cost;
      // An own property shadows the prototype's `cost` for the duration of this trace only.
      Object.defineProperty(m, 'cost', {
        configurable: true,
        writable: true,
        value: (s: Shape): Cost => {
          const c = original.call(m, s);
          layers.set(path, { module: m, inputShape: [...s], cost: c });
          return c;
        },
      });
      patched.push(m);
    }
    const total = model.cost(inputShape);
    return { total, layers };
  } finally {
    for (const m of patched) delete (m as unknown as Record<string, unknown>).cost;
  }
}

function ranksOf(m: Module): string {
  const c = m.config();
  if (Array.isArray(c.ranks)) return (c.ranks as unknown[]).join('×');
  if (typeof c.rank === 'number') return String(c.rank);
  if ('rankS' in c || 'rankT' in c)
    return `${c.rankS === null || c.rankS === undefined ? '-' : String(c.rankS)}/${c.rankT === null || c.rankT === undefined ? '-' : String(c.rankT)}`;
  return '';
}

/**
 * Per-layer cost table of `model` on inputs of `inputShape`: one row for each top-most module
 * that is not a plain container (Sequential, Residual), with its path, kind, shapes, ranks,
 * params and MACs (papers.md §5), and the model totals. The rows' params and MACs sum to the totals.
 */
export function summary(model: Module, inputShape: Shape): Summary {
  const { total, layers } = layerCosts(model, inputShape);
  const rows: SummaryRow[] = [];
  const visit = (m: Module, path: string): void => {
    if (!isContainer(m)) {
      const rec = layers.get(path);
      if (rec === undefined) return; // never reached by the cost pass (e.g. an unused child)
      rows.push({
        name: path,
        kind: m.kind,
        inputShape: rec.inputShape,
        outputShape: rec.cost.outputShape,
        ranks: ranksOf(m),
        params: rec.cost.params,
        macs: rec.cost.macs,
      });
      return;
    }
    for (const c of m.children()) visit(c, path === '' ? c.name : `${path}.${c.name}`);
  };
  visit(model, '');
  return { rows, total };
}

/** {@link summary} as a fixed-width text table, totals last. */
export function formatSummary(s: Summary): string {
  const head = ['layer', 'kind', 'output', 'ranks', 'params', 'MACs'];
  const body = s.rows.map((r) => [
    r.name,
    r.kind,
    `[${r.outputShape.join(',')}]`,
    r.ranks,
    r.params.toLocaleString('en-US'),
    r.macs.toLocaleString('en-US'),
  ]);
  body.push([
    'total',
    '',
    `[${s.total.outputShape.join(',')}]`,
    '',
    s.total.params.toLocaleString('en-US'),
    s.total.macs.toLocaleString('en-US'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i >= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Trainable scalars of a module (what `cost().params` must equal). */
export function countParams(model: Module): number {
  return model.namedParameters().reduce((a, [, v]) => a + v.size, 0);
}
