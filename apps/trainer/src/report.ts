import * as path from 'node:path';
import type { EpochRecord, MetricsRecord, StepRecord } from '@tnzip/train';
import { METRICS_FILE, writeFileAtomic } from '@tnzip/train';
import { FileError } from './exit-codes.js';
import { movingAverage } from './moving-average.js';
import { type BarDatum, groupedBarChart, type LinePoint, lineChart, type SeriesStyle } from './plots.js';
import { writeRunReportHtml } from './report-html.js';
import { runCommandLine, summaryLines } from './report-summary.js';
import { comparisonTable, epochTable, markdownTable, plainTable, ranksTable, type TableRow } from './report-tables.js';
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

export type { TableRow } from './report-tables.js';

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

/** The comparison table as text (`markdown`: a Markdown table), with ratios dense/compressed. */
export function formatTable(rows: readonly TableRow[], markdown = false): string {
  const t = comparisonTable(rows);
  return markdown ? markdownTable(t) : plainTable(t);
}

function epochs(records: readonly MetricsRecord[]): EpochRecord[] {
  return records.filter((r): r is EpochRecord => r.type === 'epoch');
}

/** Series of the loss and accuracy plots, in legend order, with their colours and styles. */
const CURVE_SERIES = {
  batch: { name: 'train (batch)', color: '#9ecae9', style: 'faint' },
  smoothed: { name: 'train (batch, smoothed)', color: '#3b75af', style: 'line' },
  epoch: { name: 'train (epoch)', color: '#17375e', style: 'line+points' },
  test: { name: 'test (epoch)', color: '#e6550d', style: 'line+points' },
} as const satisfies Record<string, { name: string; color: string; style: SeriesStyle }>;
const CURVE_COLORS = Object.fromEntries(Object.values(CURVE_SERIES).map((c) => [c.name, c.color]));
const CURVE_STYLES = Object.fromEntries(Object.values(CURVE_SERIES).map((c) => [c.name, c.style]));

/**
 * Points of the loss or accuracy curve of one training phase (`segment`), at fractional epochs
 * shifted by `offset`: the logged batch values (faint) and their centred moving average over about
 * a tenth of an epoch, the train value of each epoch and the test value of each epoch.
 */
function curvePoints(
  records: readonly MetricsRecord[],
  offset: number,
  segment: string,
  metric: 'loss' | 'acc',
): LinePoint[] {
  const ep = epochs(records);
  const spe = ep[0] === undefined ? 0 : ep[0].globalStep / (ep[0].epoch + 1);
  const points: LinePoint[] = [];
  const steps = spe > 0 ? records.filter((x): x is StepRecord => x.type === 'step') : [];
  const ys = steps.map((r) => (metric === 'loss' ? r.loss : 100 * r.accuracy));
  const perEpoch = steps.filter((r) => r.epoch === steps[0]?.epoch).length;
  const smoothed = movingAverage(ys, Math.max(1, Math.round(perEpoch / 20)));
  steps.forEach((r, i) => {
    const x = offset + r.globalStep / spe;
    points.push(
      { x, y: ys[i] as number, series: CURVE_SERIES.batch.name, segment },
      { x, y: smoothed[i] as number, series: CURVE_SERIES.smoothed.name, segment },
    );
  });
  for (const r of ep) {
    const x = offset + r.epoch + 1;
    points.push({ x, y: metric === 'loss' ? r.trainLoss : 100 * r.trainAcc, series: CURVE_SERIES.epoch.name, segment });
    const t = metric === 'loss' ? r.testLoss : r.testAcc;
    if (t !== undefined)
      points.push({ x, y: metric === 'loss' ? t : 100 * t, series: CURVE_SERIES.test.name, segment });
  }
  return points;
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
 * `dense/metrics.jsonl` of a compress run that trained its dense model): writes the SVG plots,
 * `report.json`, `report.md` and `report.html` (all of it in one self-contained page), each
 * atomically, and returns the report.
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
    const ftEpochs = epochs(finetune).length;
    const pts = [...curvePoints(dense, 0, 'dense', metric), ...curvePoints(finetune, denseEpochs, 'fine-tune', metric)];
    if (pts.length > 0) {
      await write(
        metric === 'loss' ? PLOT_FILES.loss : PLOT_FILES.accuracy,
        lineChart(pts, {
          title: metric === 'loss' ? 'Loss (cross-entropy)' : 'Accuracy',
          x: compress && denseEpochs > 0 ? 'epoch (dense, then fine-tune)' : 'epoch',
          y: metric === 'loss' ? 'loss' : 'accuracy (%)',
          styles: CURVE_STYLES,
          colors: CURVE_COLORS,
          bands: ftEpochs > 0 ? [{ from: denseEpochs, to: denseEpochs + ftEpochs, label: 'fine-tune' }] : [],
        }),
      );
    }
  }
  for (const metric of ['params', 'macs'] as const) {
    // Layers with a cost by this metric in either model (pooling has MACs but no parameters).
    const models = [
      ['dense', results.dense],
      ['compressed', results.compressed],
    ] as const;
    const costly = new Set(
      models.flatMap(([, m]) => (m?.layers ?? []).filter((r) => r[metric] > 0).map((r) => r.name)),
    );
    const bars: BarDatum[] = models.flatMap(([label, m]) =>
      (m?.layers ?? [])
        .filter((r) => costly.has(r.name))
        .map((r) => ({ group: r.name, series: label, value: r[metric] })),
    );
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
  await writeRunReportHtml(runDir, report);
  return report;
}

function markdown(r: Report): string {
  const res = r.results;
  const lines = [`# tnzip ${r.command}: ${r.model} on ${r.dataset}`, '', `Run \`${r.run}\`.`, ''];
  const cmd = runCommandLine(r.config);
  if (cmd !== null) lines.push(`Command: \`${cmd}\``, '');
  lines.push(...summaryLines(r), '', '## Results', '', formatTable(r.table, true), '');
  if (res.selection !== undefined) lines.push('## Ranks', '', markdownTable(ranksTable(res.selection)), '');
  for (const [title, recs] of [
    ['Dense training', r.curves.dense],
    ['Fine-tuning', r.curves.finetune],
  ] as const) {
    if (recs.length > 0) lines.push(`## ${title}`, '', markdownTable(epochTable(recs)), '');
  }
  if (r.plots.length > 0) {
    lines.push('## Plots', '');
    for (const p of r.plots) lines.push(`![${p}](${p})`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
