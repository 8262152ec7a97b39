import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, escapeHtml, shellWord } from './html-page.js';
import { renderReport } from './report.js';
import { compressRun, trainRun } from './report-fixture.test-util.js';
import { REPORT_HTML } from './report-html.js';
import { readPlot } from './svg-geometry.test-util.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-report-html-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** The inline `<svg>…</svg>` elements of a page. */
const inlineSvgs = (html: string): string[] => html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];

/** A page that loads nothing: no script, no external URL in src/href/CSS, no @import. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/\b(src|href)\s*=\s*"(https?:)?\/\//i);
  expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
  expect(html).not.toMatch(/<(link|iframe|img|object|embed)\b/i);
  const ids = [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('report.html of a run', () => {
  it('compress: one self-contained page with the command, the tables and every plot inline', async () => {
    const run = await compressRun(path.join(root, 'compress'));
    const report = await renderReport(run);
    const html = await fs.readFile(path.join(run, REPORT_HTML), 'utf8');
    expectSelfContained(html);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain(
      '<pre class="command"><code>tnzip compress --model lenet5 --method energy --budget 4x --epochs 2 --limit-train 3000 --limit-test 1000 --log-every 5 --out /tmp/reports-runs</code></pre>',
    );
    // Comparison, ranks and both epoch tables, with the run's figures.
    for (const cell of ['431,080', '111,880', '3.85x', '87.90%', '76.20%', '25,050', '4,450', '400,500', '101,900'])
      expect(html).toContain(`>${cell}</td>`);
    expect(html).toContain(
      '<td><code>{&#34;kind&#34;:&#34;tucker2&#34;,&#34;rankS&#34;:10,&#34;rankT&#34;:14}</code></td>',
    );
    for (const h of ['Results', 'Plots', 'Ranks', 'Dense training', 'Fine-tuning'])
      expect(html).toContain(`<h2>${h}</h2>`);
    expect(html).toContain('recipe <code>recipes.lenet5</code>');
    // Every plot inline, scaled by CSS (no fixed width), bars drawn as in the SVG files.
    const svgs = inlineSvgs(html);
    expect(svgs.length).toBe(report.plots.length);
    for (const file of report.plots) expect(html).toContain(`<a href="${file}">${file}</a></figcaption>`);
    for (const svg of svgs) expect(svg.slice(0, svg.indexOf('>'))).not.toMatch(/\s(width|height)="/);
    const params = svgs.map(readPlot).find((p) => p.bars.some((b) => b.label === 'fc1, compressed: 101,900'));
    expect(params?.bars.every((b) => b.width > 1)).toBe(true);
  });

  it('train: the dense figures and curves, no compression sections', async () => {
    const run = await trainRun(path.join(root, 'train'));
    const report = await renderReport(run);
    const html = await fs.readFile(path.join(run, REPORT_HTML), 'utf8');
    expectSelfContained(html);
    expect(html).toContain('<code>tnzip train --model lenet5 --epochs 2</code>');
    expect(inlineSvgs(html).length).toBe(report.plots.length);
    expect(html).not.toContain('<h2>Ranks</h2>');
    expect(html).not.toContain('<h2>Fine-tuning</h2>');
    expect(html).toContain('>431,080</td>');
  });

  it('the main job: the command is `tnzip`, and the page says it is the main job', async () => {
    const run = await compressRun(path.join(root, 'main-job'));
    const config = JSON.parse(await fs.readFile(path.join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(run, 'config.json'), JSON.stringify({ ...config, argv: [], mainJob: true }));
    await renderReport(run);
    const html = await fs.readFile(path.join(run, REPORT_HTML), 'utf8');
    expect(html).toContain('<pre class="command"><code>tnzip</code></pre>');
    expect(html).toContain('<p>The main job: <code>tnzip</code> with no command');
  });

  it('report.md names the command too', async () => {
    const md = await fs.readFile(path.join(root, 'compress', 'report.md'), 'utf8');
    expect(md).toContain('Command: `tnzip compress --model lenet5 --method energy --budget 4x');
  });
});

describe('html helpers', () => {
  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('commandLine quotes the words a shell would split or expand', () => {
    expect(shellWord('--budget')).toBe('--budget');
    expect(shellWord('runs/a b')).toBe("'runs/a b'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord('$HOME')).toBe("'$HOME'");
    expect(shellWord('')).toBe("''");
    expect(commandLine([])).toBe('tnzip');
    expect(commandLine(['sweep', '--budgets', '2x,4x'])).toBe('tnzip sweep --budgets 2x,4x');
  });
});
