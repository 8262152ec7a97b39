import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '@tnzip/train';
import { escapeHtml, htmlPage, htmlTable, inlineHtml, svgFigure } from './html-page.js';
import type { Report } from './report.js';
import { runCommandLine, summaryLines } from './report-summary.js';
import { comparisonTable, epochTable, ranksTable, type TextTable } from './report-tables.js';

/** The self-contained page of a run, beside its `report.md`. */
export const REPORT_HTML = 'report.html';

/** Plots in reading order: the curves first, then the per-layer bars. */
const PLOT_ORDER = ['accuracy.svg', 'loss.svg', 'layer-params.svg', 'layer-macs.svg', 'ranks.svg'];

/** `t` as an HTML table. */
export function textTableHtml(t: TextTable, caption?: string): string {
  return htmlTable(
    t.head.map((text, i) => ({ text, num: t.numeric[i] === true })),
    t.rows.map((r) => r.map((text, i) => ({ text, num: t.numeric[i] === true }))),
    caption,
  );
}

function card(label: string, value: string, sub: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="sub">${escapeHtml(sub)}</div></div>`;
}

/** The headline numbers: test accuracy, and for a compress run the params / MACs / bytes ratios. */
function cards(r: Report): string {
  const d = r.results.dense;
  const c = r.results.compressed;
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const n = (v: number): string => v.toLocaleString('en-US');
  const ratio = (a: number, b: number): string => (b === 0 ? '-' : `${(a / b).toFixed(2)}x`);
  const out =
    c === undefined
      ? [
          card('test accuracy', pct(d.testAcc), `${n(d.testCount)} test images`),
          card('parameters', n(d.params), ''),
          card('MACs per example', n(d.macs), ''),
          card('bytes on disk', n(d.bytes), 'model.json + weights.bin'),
        ]
      : [
          card(
            'test accuracy',
            pct(c.testAcc),
            `dense ${pct(d.testAcc)} (${(100 * (c.testAcc - d.testAcc)).toFixed(2)} pt)`,
          ),
          card('fewer parameters', ratio(d.params, c.params), `${n(d.params)} → ${n(c.params)}`),
          card('fewer MACs', ratio(d.macs, c.macs), `${n(d.macs)} → ${n(c.macs)}`),
          card('smaller on disk', ratio(d.bytes, c.bytes), `${n(d.bytes)} → ${n(c.bytes)} bytes`),
        ];
  return `<div class="cards">${out.join('')}</div>`;
}

function meta(r: Report): string {
  const cfg = r.config as { createdAt?: unknown; backend?: { used?: unknown; threads?: unknown } } | null;
  const parts = [`run ${r.run}`];
  if (typeof cfg?.createdAt === 'string') parts.push(`started ${cfg.createdAt}`);
  if (typeof cfg?.backend?.used === 'string')
    parts.push(
      `backend ${cfg.backend.used}${typeof cfg.backend.threads === 'number' ? ` (${cfg.backend.threads} threads)` : ''}`,
    );
  return `<p class="meta">${escapeHtml(parts.join(' · '))}</p>`;
}

/**
 * A run's report as one HTML page: headline numbers, the command that produced the run, the summary,
 * the comparison, ranks and epoch tables, every plot (`svgs`: file name → SVG document, inlined) and
 * the full config. No script, no external resource.
 */
export function runReportHtml(r: Report, svgs: ReadonlyMap<string, string>): string {
  const title = `tnzip ${r.command}: ${r.model} on ${r.dataset}`;
  const cmd = runCommandLine(r.config);
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    meta(r),
    cards(r),
    '<h2>Command</h2>',
    cmd === null
      ? '<p>(the run’s config.json records no command line)</p>'
      : `<pre class="command"><code>${escapeHtml(cmd)}</code></pre>`,
    ...summaryLines(r).map((l) => `<p>${inlineHtml(l)}</p>`),
    '<h2>Results</h2>',
    textTableHtml(comparisonTable(r.table), 'Latencies are medians of one inference; ratios are dense / compressed.'),
  ];
  const plots = [...svgs.keys()].sort((a, b) => rank(a) - rank(b));
  if (plots.length > 0) {
    body.push(
      '<h2>Plots</h2>',
      `<div class="plots">${plots.map((p) => svgFigure(p, svgs.get(p) as string)).join('\n')}</div>`,
    );
  }
  if (r.results.selection !== undefined) body.push('<h2>Ranks</h2>', textTableHtml(ranksTable(r.results.selection)));
  for (const [heading, recs] of [
    ['Dense training', r.curves.dense],
    ['Fine-tuning', r.curves.finetune],
  ] as const) {
    if (recs.length > 0) body.push(`<h2>${heading}</h2>`, textTableHtml(epochTable(recs)));
  }
  body.push(
    '<h2>Config</h2>',
    `<details><summary>config.json</summary><pre><code>${escapeHtml(JSON.stringify(r.config, null, 2))}</code></pre></details>`,
  );
  return htmlPage(title, body.join('\n'));
}

function rank(file: string): number {
  const i = PLOT_ORDER.indexOf(file);
  return i < 0 ? PLOT_ORDER.length : i;
}

/** Reads the run's plots (`report.plots`) and writes `report.html` into `runDir`, atomically. */
export async function writeRunReportHtml(runDir: string, report: Report): Promise<void> {
  const svgs = new Map<string, string>();
  for (const p of report.plots) svgs.set(p, await readFile(path.join(runDir, p), 'utf8'));
  await writeFileAtomic(path.join(runDir, REPORT_HTML), runReportHtml(report, svgs));
}
