import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '@tnzip/train';
import { commandLine, escapeHtml, htmlPage, htmlTable, inlineHtml, svgFigure } from './html-page.js';
import { REPORT_HTML } from './report-html.js';

/** The fields of a sweep cell (`SweepCell` of commands/sweep.ts) the page shows. */
export interface SweepCellView {
  readonly model: string;
  readonly method: string;
  readonly budget: string;
  /** Absent in sweeps written before `--seeds`. */
  readonly seed?: number;
  readonly status: string;
  readonly error?: string;
  readonly denseAcc: number;
  readonly testAcc?: number;
  readonly beforeFinetuneAcc?: number;
  readonly paramsRatioLayers?: number;
  readonly paramsRatioNet?: number;
  readonly macsRatioNet?: number;
  readonly searchSeconds?: number;
  readonly finetuneSeconds?: number;
}

/** What a sweep's page is made of. */
export interface SweepReportInput {
  /** The sweep's command line after `tnzip` (`config.argv`). */
  readonly argv: readonly string[];
  readonly cells: readonly SweepCellView[];
  /** Dense test accuracy per network. */
  readonly denseAcc: Readonly<Record<string, number>>;
  /** SVG files in the run directory, inlined in this order. */
  readonly plots: readonly string[];
  /** The full config, shown collapsed. */
  readonly config?: unknown;
  /**
   * The sweep's `sweep.md`: its prose paragraphs (blocks that are not headings, tables or images)
   * are shown under the command, Markdown code spans kept.
   */
  readonly markdown?: string;
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const times = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
const secs = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));

/**
 * Prose paragraphs of generated Markdown: blank-line separated blocks that are not headings, tables,
 * images or the run/command line (the page shows those itself).
 */
function paragraphs(md: string): string[] {
  return md
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b !== '' && !/^(#|\||!\[|Run `)/.test(b)); // 'Run `id`; command …': shown above
}

function cellsTable(cells: readonly SweepCellView[]): string {
  const n = (text: string) => ({ text, num: true });
  const head = [
    { text: 'model' },
    { text: 'method' },
    { text: 'budget' },
    n('seed'),
    n('params ratio (compressed layers)'),
    n('params ratio (net)'),
    n('MACs ratio (net)'),
    n('test acc'),
    n('drop vs dense (pt)'),
    n('before fine-tune'),
    n('search s'),
    n('fine-tune s'),
    { text: 'status' },
  ];
  const rows = cells.map((c) => [
    { text: c.model },
    { text: c.method },
    { text: c.budget },
    n(c.seed === undefined ? '-' : String(c.seed)),
    n(times(c.paramsRatioLayers)),
    n(times(c.paramsRatioNet)),
    n(times(c.macsRatioNet)),
    n(pct(c.testAcc)),
    n(c.testAcc === undefined ? '-' : (100 * (c.denseAcc - c.testAcc)).toFixed(2)),
    n(pct(c.beforeFinetuneAcc)),
    n(secs(c.searchSeconds)),
    n(secs(c.finetuneSeconds)),
    { text: c.status === 'ok' ? 'ok' : `failed: ${c.error ?? ''}`, wrap: true },
  ]);
  return htmlTable(
    head,
    rows,
    'One row per (model, method, budget, seed) cell, in run order. Ratios are dense / compressed.',
  );
}

/**
 * A sweep as one self-contained HTML page: the command, the protocol, dense accuracies, the table of
 * cells and the Pareto plots (`svgs`: file name → SVG document, inlined).
 */
export function sweepReportHtml(run: string, input: SweepReportInput, svgs: ReadonlyMap<string, string>): string {
  const models = Object.keys(input.denseAcc);
  const title = `tnzip sweep: ${models.join(', ') || 'no model yet'}`;
  const failed = input.cells.filter((c) => c.status !== 'ok').length;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(`run ${run} · ${input.cells.length} cell(s), ${failed} failed`)}</p>`,
    `<div class="cards">${models
      .map(
        (m) =>
          `<div class="card"><div class="label">dense ${escapeHtml(m)}</div><div class="value">${pct(input.denseAcc[m])}</div><div class="sub">test accuracy</div></div>`,
      )
      .join('')}</div>`,
    '<h2>Command</h2>',
    `<pre class="command"><code>${escapeHtml(commandLine(input.argv))}</code></pre>`,
    ...paragraphs(input.markdown ?? '').map((p) => `<p>${inlineHtml(p)}</p>`),
    '<h2>Cells</h2>',
    cellsTable(input.cells),
  ];
  if (svgs.size > 0)
    body.push(
      '<h2>Pareto fronts</h2>',
      `<div class="plots">${input.plots
        .filter((p) => svgs.has(p))
        .map((p) => svgFigure(p, svgs.get(p) as string))
        .join('\n')}</div>`,
    );
  if (input.config !== undefined)
    body.push(
      '<h2>Config</h2>',
      `<details><summary>config.json</summary><pre><code>${escapeHtml(JSON.stringify(input.config, null, 2))}</code></pre></details>`,
    );
  return htmlPage(title, body.join('\n'));
}

/** Reads the sweep's plots and writes `report.html` into `runDir` (beside sweep.md), atomically. */
export async function writeSweepReportHtml(runDir: string, input: SweepReportInput): Promise<void> {
  const svgs = new Map<string, string>();
  for (const p of input.plots) svgs.set(p, await readFile(path.join(runDir, p), 'utf8'));
  const html = sweepReportHtml(path.basename(path.resolve(runDir)), input, svgs);
  await writeFileAtomic(path.join(runDir, REPORT_HTML), html);
}
