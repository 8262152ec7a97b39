// A run's report.html as a person sees it: opened from disk in Debian's chromium (headless, driven by
// playwright-core, as the demo's browser test), on a phone-sized and a desktop-sized viewport. Every
// bar of every chart has a laid-out width and a height proportional to its value, nothing is fetched,
// and the page does not scroll sideways on a phone. Screenshots go to apps/trainer/test-results/.
// Needs /usr/bin/chromium (scripts/setup.sh installs it; CHROMIUM overrides the path).
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP } from './cli.test-util.js';
import { renderReport } from './report.js';
import { compressRun } from './report-fixture.test-util.js';
import { REPORT_HTML } from './report-html.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RESULTS = path.join(APP, 'test-results');

let root: string;
let browser: Browser;
let url: string;
beforeAll(async () => {
  if (!existsSync(executablePath))
    throw new Error(`no chromium at ${executablePath}: run 'bash scripts/setup.sh' (installs Debian's chromium)`);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-report-browser-'));
  const run = await compressRun(path.join(root, 'run'));
  await renderReport(run);
  url = pathToFileURL(path.join(run, REPORT_HTML)).href;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  await fs.mkdir(RESULTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await fs.rm(root, { recursive: true, force: true });
});

/** One drawn bar as laid out by the browser: its chart (index), aria-label and client box. */
interface LaidOutBar {
  readonly chart: number;
  readonly label: string;
  readonly width: number;
  readonly height: number;
}

describe('report.html in chromium', () => {
  for (const [name, viewport] of [
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1200, height: 900 }],
  ] as const) {
    it(`${name} (${viewport.width} px): every bar laid out with width > 0 and height ∝ value; nothing fetched`, async () => {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const fetched: string[] = [];
      await page.route('**/*', (route) => {
        const u = route.request().url();
        if (u.startsWith('file:') && u.split('#')[0] === url) return route.continue();
        fetched.push(u);
        return route.abort();
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      const layout = await page.evaluate(() => {
        const svgs = Array.from(document.querySelectorAll('figure.plot svg'));
        const bars = svgs.flatMap((svg, chart) =>
          Array.from(svg.querySelectorAll('g.mark-rect.role-mark:not(.x-band) > path')).map((p) => {
            const r = p.getBoundingClientRect();
            return { chart, label: p.getAttribute('aria-label') ?? '', width: r.width, height: r.height };
          }),
        );
        return {
          bars,
          plots: svgs.map((s) => s.getBoundingClientRect().width),
          pageWidth: document.documentElement.scrollWidth,
          viewportWidth: window.innerWidth,
        };
      });
      await page.screenshot({ path: path.join(RESULTS, `report-${name}.png`), fullPage: true });
      await context.close();

      expect(errors).toEqual([]);
      expect(fetched).toEqual([]);
      expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewportWidth);
      expect(layout.plots.length).toBe(5);
      for (const w of layout.plots) {
        expect(w).toBeGreaterThan(0.7 * Math.min(viewport.width, 520));
        expect(w).toBeLessThanOrEqual(viewport.width);
      }
      // params, MACs: 4 layers × dense/compressed; ranks: conv2 R_S, R_T, fc1 rank.
      expect(layout.bars.length).toBe(8 + 8 + 3);
      const byChart = new Map<number, LaidOutBar[]>();
      for (const b of layout.bars) byChart.set(b.chart, [...(byChart.get(b.chart) ?? []), b]);
      for (const bars of byChart.values()) {
        const values = bars.map((b) => Number(b.label.split(': ').pop()?.replace(/,/g, '')));
        const top = Math.max(...values);
        const pxPerUnit = Math.max(...bars.map((b) => b.height)) / top;
        bars.forEach((b, i) => {
          const v = values[i] as number;
          expect(b.width, `laid-out width of '${b.label}'`).toBeGreaterThan(1);
          expect(Math.abs(b.height - v * pxPerUnit), `laid-out height of '${b.label}'`).toBeLessThan(0.05);
          if (v > 0) expect(b.height).toBeGreaterThan(0);
        });
      }
    });
  }
});
