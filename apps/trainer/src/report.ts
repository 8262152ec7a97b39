import * as path from 'node:path';
import type { EpochRecord, MetricsRecord, StepRecord } from '@tnzip/train';
import { METRICS_FILE, writeFileAtomic } from '@tnzip/train';
import { FileError } from './exit-codes.js';
import { type BarDatum, groupedBarChart, type LinePoint, lineChart } from './plots.js';
import type { Results } from './results.js';
import { exists, readJson, readJsonLines, writeJson } from './run-dir.js';

/** Plot files a report may write, by what they show. */
export const PLOT_FILES = {
  loss: 'loss.svg',
  accuracy: 'accuracy.svg',
  params: 'layer-params.svg',
  macs: 'layer-macs.svg',
  ranks: 'ranks.svg',
} as const;

/** `report.json`: the run at a glance (also what `--json` of train/compress prints). */
export interface Report {
  readonly run: string;
  readonly command: string;
  readonly model: string;
  readonly dataset: string;
  readonly config: unknown;
  readonly results: Results;
  /** Epoch lines of dense training and of fine-tuning (from the metrics logs). */
  readonly curves: { readonly dense: readonly EpochRecord[]; readonly finetune: readonly EpochRecord[] };
  /** The table dense vs compressed (compress runs), or the dense row (train runs). */
  readonly table: readonly TableRow[];
  /** SVG plots written next to report.json. */
  readonly plots: readonly string[];
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

/** Rows dense (and compressed) of `results`. */
export function comparisonRows(results: Results): TableRow[] {
  const row = (name: string, m: Results['dense']): TableRow => ({
    model: name,
    testAcc: m.testAcc,
    params: m.params,
    macs: m.macs,
    bytes: m.bytes,
    latencyB1Ms: m.latency?.batch1Ms ?? null,
    latencyB64Ms: m.latency?.batch64Ms ?? null,
  });
  const rows = [row('dense', results.dense)];
  if (results.compressed !== undefined) rows.push(row('compressed', results.compressed));
  return rows;
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const fmtMs = (n: number | null): string => (n === null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/** The comparison table as text (`markdown`: a Markdown table), with ratios dense/compressed. */
export function formatTable(rows: readonly TableRow[], markdown = false): string {
  const head = ['model', 'test acc', 'params', 'MACs', 'bytes on disk', 'latency b1 (ms)', 'latency b64 (ms)'];
  const body = rows.map((r) => [
    r.model,
    `${(100 * r.testAcc).toFixed(2)}%`,
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
  if (markdown) {
    const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
    return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((s, i) => (i === 0 ? s.padEnd(widths[i] as number) : s.padStart(widths[i] as number))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function epochs(records: readonly MetricsRecord[]): EpochRecord[] {
  return records.filter((r): r is EpochRecord => r.type === 'epoch');
}

/** Training-loss points at fractional epochs from step lines, then test points from epoch lines. */
function curvePoints(
  records: readonly MetricsRecord[],
  offset: number,
  label: string,
  metric: 'loss' | 'acc',
): LinePoint[] {
  const ep = epochs(records);
  const spe = ep[0] === undefined ? 0 : ep[0].globalStep / (ep[0].epoch + 1);
  const out: LinePoint[] = [];
  if (spe > 0) {
    for (const r of records.filter((x): x is StepRecord => x.type === 'step')) {
      out.push({
        x: offset + r.globalStep / spe,
        y: metric === 'loss' ? r.loss : 100 * r.accuracy,
        series: `${label} train (batch)`,
      });
    }
  }
  for (const r of ep) {
    out.push({
      x: offset + r.epoch + 1,
      y: metric === 'loss' ? r.trainLoss : 100 * r.trainAcc,
      series: `${label} train (epoch)`,
    });
    const t = metric === 'loss' ? r.testLoss : r.testAcc;
    if (t !== undefined)
      out.push({ x: offset + r.epoch + 1, y: metric === 'loss' ? t : 100 * t, series: `${label} test` });
  }
  return out;
}

function ranksBars(results: Results): BarDatum[] {
  const out: BarDatum[] = [];
  for (const l of results.selection?.layers ?? []) {
    const p = l.plan;
    if (p.kind === 'tucker2') {
      if (p.rankS !== null) out.push({ group: l.layer, series: 'R_S (input)', value: p.rankS });
      if (p.rankT !== null) out.push({ group: l.layer, series: 'R_T (output)', value: p.rankT });
    } else if (p.kind === 'tt') {
      p.ranks.forEach((r, k) => {
        out.push({ group: l.layer, series: p.ranks.length === 1 ? 'rank' : `bond ${k + 1}`, value: r });
      });
    } else if (p.kind === 'cp') {
      out.push({ group: l.layer, series: 'rank', value: p.rank });
    } else if ('ranks' in p) {
      p.ranks.forEach((r, k) => {
        out.push({ group: l.layer, series: `mode ${k + 1}`, value: r });
      });
    }
  }
  return out;
}

/**
 * (Re)renders a run's report from its files — `config.json`, `results.json`, `metrics.jsonl` (and
 * `dense/metrics.jsonl` of a compress run that trained its dense model): writes `report.json`,
 * `report.md` and the SVG plots, each atomically, and returns the report.
 *
 * @throws FileError naming a missing or unreadable file.
 */
export async function renderReport(runDir: string): Promise<Report> {
  if (!(await exists(path.join(runDir, 'results.json')))) {
    throw new FileError(
      `'${runDir}' is not a finished tnzip run directory (no results.json; an interrupted run continues with --resume)`,
    );
  }
  const config = await readJson<Record<string, unknown>>(path.join(runDir, 'config.json'), 'run config');
  const results = await readJson<Results>(path.join(runDir, 'results.json'), 'run results');
  const compress = results.command === 'compress';
  const denseLog = compress ? path.join(runDir, 'dense', METRICS_FILE) : path.join(runDir, METRICS_FILE);
  const dense = await readJsonLines<MetricsRecord>(denseLog);
  const finetune = compress ? await readJsonLines<MetricsRecord>(path.join(runDir, METRICS_FILE)) : [];
  const denseEpochs = epochs(dense).length;
  const plots: string[] = [];
  const write = async (file: string, svg: Promise<string>): Promise<void> => {
    await writeFileAtomic(path.join(runDir, file), await svg);
    plots.push(file);
  };

  for (const metric of ['loss', 'acc'] as const) {
    const pts = [...curvePoints(dense, 0, 'dense', metric), ...curvePoints(finetune, denseEpochs, 'fine-tune', metric)];
    if (pts.length > 0) {
      await write(
        metric === 'loss' ? PLOT_FILES.loss : PLOT_FILES.accuracy,
        lineChart(pts, {
          title: metric === 'loss' ? 'Loss (cross-entropy)' : 'Accuracy',
          x: compress && denseEpochs > 0 ? 'epoch (dense, then fine-tune)' : 'epoch',
          y: metric === 'loss' ? 'loss' : 'accuracy (%)',
        }),
      );
    }
  }
  for (const metric of ['params', 'macs'] as const) {
    const bars: BarDatum[] = [];
    for (const [label, m] of [
      ['dense', results.dense],
      ['compressed', results.compressed],
    ] as const) {
      for (const r of m?.layers ?? [])
        if (r.params > 0 || r.macs > 0) bars.push({ group: r.name, series: label, value: r[metric] });
    }
    await write(
      metric === 'params' ? PLOT_FILES.params : PLOT_FILES.macs,
      groupedBarChart(bars, {
        title: `Per-layer ${metric === 'params' ? 'parameters' : 'MACs per example'}${compress ? ': dense vs compressed' : ''}`,
        x: 'layer',
        y: metric === 'params' ? 'parameters' : 'MACs',
      }),
    );
  }
  const rb = ranksBars(results);
  if (rb.length > 0)
    await write(PLOT_FILES.ranks, groupedBarChart(rb, { title: 'Per-layer ranks', x: 'layer', y: 'rank' }));

  const table = comparisonRows(results);
  const report: Report = {
    run: path.basename(path.resolve(runDir)),
    command: results.command,
    model: results.model,
    dataset: results.dataset,
    config,
    results,
    curves: { dense: epochs(dense), finetune: epochs(finetune) },
    table,
    plots,
  };
  await writeJson(path.join(runDir, 'report.json'), report);
  await writeFileAtomic(path.join(runDir, 'report.md'), markdown(report));
  return report;
}

function markdown(r: Report): string {
  const res = r.results;
  const lines = [`# tnzip ${r.command}: ${r.model} on ${r.dataset}`, '', `Run \`${r.run}\`.`, ''];
  const cfg = r.config as { train?: { recipe?: string; epochs?: number }; finetune?: { epochs?: number } };
  if (res.epochs.dense > 0)
    lines.push(`Dense training: ${res.epochs.dense} epoch(s), recipe \`${cfg.train?.recipe ?? '?'}\`.`);
  if (res.selection !== undefined) {
    const s = res.selection;
    lines.push(
      `Compression: method \`${s.method}\`, budget ${(1 / s.budget.target).toFixed(2)}x ${s.budget.metric} (target ${s.budget.target}), ` +
        `achieved ${s.achieved.toFixed(4)} of the dense ${s.budget.metric} of the compressed layers; ` +
        `fine-tuning ${res.epochs.finetune} epoch(s).`,
    );
    if (res.beforeFinetune !== undefined)
      lines.push(
        `Test accuracy right after factorization, before fine-tuning: ${(100 * res.beforeFinetune.testAcc).toFixed(2)}%.`,
      );
  }
  if (res.timing !== undefined)
    lines.push(
      `Rank search: ${res.timing.searchSeconds.toFixed(2)} s; fine-tuning: ${res.timing.finetuneSeconds.toFixed(1)} s.`,
    );
  lines.push(`Wall time: ${res.wallSeconds.toFixed(1)} s.`, '', '## Results', '', formatTable(r.table, true), '');
  if (res.selection !== undefined) {
    lines.push(
      '## Ranks',
      '',
      '| layer | plan | dense params | params | dense MACs | MACs |',
      '|---|---|---:|---:|---:|---:|',
    );
    for (const l of res.selection.layers) {
      lines.push(
        `| ${l.layer} | \`${JSON.stringify(l.plan)}\` | ${fmtInt(l.denseParams)} | ${fmtInt(l.params)} | ${fmtInt(l.denseMacs)} | ${fmtInt(l.macs)} |`,
      );
    }
    lines.push('');
  }
  const epochTable = (title: string, recs: readonly EpochRecord[]): void => {
    if (recs.length === 0) return;
    lines.push(
      `## ${title}`,
      '',
      '| epoch | train loss | train acc | test loss | test acc | seconds |',
      '|---:|---:|---:|---:|---:|---:|',
    );
    for (const e of recs) {
      const pct = (v: number | undefined): string => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
      lines.push(
        `| ${e.epoch + 1} | ${e.trainLoss.toFixed(4)} | ${pct(e.trainAcc)} | ${e.testLoss?.toFixed(4) ?? '-'} | ${pct(e.testAcc)} | ${e.seconds.toFixed(1)} |`,
      );
    }
    lines.push('');
  };
  epochTable('Dense training', r.curves.dense);
  epochTable('Fine-tuning', r.curves.finetune);
  if (r.plots.length > 0) {
    lines.push('## Plots', '');
    for (const p of r.plots) lines.push(`![${p}](${p})`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
