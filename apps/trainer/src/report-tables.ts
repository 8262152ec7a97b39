import type { SelectionReport } from '@tnzip/ranks';
import type { EpochRecord } from '@tnzip/train';

/**
 * A table of formatted cells, the one source of a report's tables in text, Markdown and HTML.
 * `numeric[i]`: column i holds numbers (right-aligned).
 */
export interface TextTable {
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly numeric: readonly boolean[];
}

/** One row of the comparison table. */
export interface TableRow {
  readonly model: string;
  readonly testAcc: number;
  readonly params: number;
  readonly macs: number;
  readonly bytes: number;
  readonly latencyB1Ms: number | null;
  readonly latencyB64Ms: number | null;
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const fmtMs = (n: number | null): string => (n === null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
const allButFirst = (n: number): boolean[] => Array.from({ length: n }, (_, i) => i > 0);

/** Dense (and compressed) rows with, for two rows, the line of ratios dense / compressed. */
export function comparisonTable(rows: readonly TableRow[]): TextTable {
  const head = ['model', 'test acc', 'params', 'MACs', 'bytes on disk', 'latency b1 (ms)', 'latency b64 (ms)'];
  const body = rows.map((r) => [
    r.model,
    pct(r.testAcc),
    fmtInt(r.params),
    fmtInt(r.macs),
    fmtInt(r.bytes),
    fmtMs(r.latencyB1Ms),
    fmtMs(r.latencyB64Ms),
  ]);
  const d = rows[0];
  const c = rows[1];
  if (d !== undefined && c !== undefined) {
    const ratio = (a: number | null, b: number | null): string =>
      a === null || b === null || b === 0 ? '-' : `${(a / b).toFixed(2)}x`;
    body.push([
      'dense / compressed',
      `${(100 * (c.testAcc - d.testAcc)).toFixed(2)} pt`,
      ratio(d.params, c.params),
      ratio(d.macs, c.macs),
      ratio(d.bytes, c.bytes),
      ratio(d.latencyB1Ms, c.latencyB1Ms),
      ratio(d.latencyB64Ms, c.latencyB64Ms),
    ]);
  }
  return { head, rows: body, numeric: allButFirst(head.length) };
}

/** One row per compressed layer: its plan (JSON, a code span), dense and planned params and MACs. */
export function ranksTable(selection: SelectionReport): TextTable {
  return {
    head: ['layer', 'plan', 'dense params', 'params', 'dense MACs', 'MACs'],
    rows: selection.layers.map((l) => [
      l.layer,
      `\`${JSON.stringify(l.plan)}\``,
      fmtInt(l.denseParams),
      fmtInt(l.params),
      fmtInt(l.denseMacs),
      fmtInt(l.macs),
    ]),
    numeric: [false, false, true, true, true, true],
  };
}

/** One row per epoch: train loss and accuracy, test loss and accuracy, seconds. */
export function epochTable(records: readonly EpochRecord[]): TextTable {
  const head = ['epoch', 'train loss', 'train acc', 'test loss', 'test acc', 'seconds'];
  return {
    head,
    rows: records.map((e) => [
      String(e.epoch + 1),
      e.trainLoss.toFixed(4),
      pct(e.trainAcc),
      e.testLoss?.toFixed(4) ?? '-',
      pct(e.testAcc),
      e.seconds.toFixed(1),
    ]),
    numeric: head.map(() => true),
  };
}

/** `t` as a Markdown table. */
export function markdownTable(t: TextTable): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = t.head.map((_, i) => (t.numeric[i] === true ? '---:' : '---'));
  return [line(t.head), line(rule), ...t.rows.map(line)].join('\n');
}

/** `t` as aligned plain text for a terminal. */
export function plainTable(t: TextTable): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((s, i) => (t.numeric[i] === true ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number)))
      .join('  ');
  return [line(t.head), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n');
}
