// The drawn geometry of every plot the trainer writes: a run's report (loss, accuracy, per-layer
// params and MACs, ranks) and the sweep's Pareto fronts. Bars are matched to the data by what a
// reader sees — colour (the legend's) and position (under the x-axis label of their group) — so a
// bar drawn with zero width, at the wrong height or in the wrong place fails here.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EpochRecord, MetricsRecord } from '@tnzip/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BarDatum, groupedBarChart, lineChart, titleLines } from './plots.js';
import { PLOT_FILES, renderReport } from './report.js';
import { compressRun, fixtureResults, trainRun } from './report-fixture.test-util.js';
import { type DrawnPlot, readPlot } from './svg-geometry.test-util.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-plots-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Pixel tolerance: Vega writes coordinates with at least 3 decimals. */
const PX = 0.01;

/**
 * Every expected bar is drawn once, found by colour (legend) and position (x label), with a
 * non-zero width, a height proportional to its value (zero for zero) on a common baseline; bars do
 * not overlap; the aria-label names group, series and value; every legend entry is drawn.
 */
function expectBars(plot: DrawnPlot, expected: readonly BarDatum[]): void {
  expect(plot.bars.length).toBe(expected.length);
  const series = new Map(plot.legend.map((l) => [l.color, l.label]));
  expect(new Set(plot.legend.map((l) => l.label))).toEqual(new Set(expected.map((e) => e.series)));
  const drawn = plot.bars.map((b) => {
    const centre = b.x + b.width / 2;
    const nearest = [...plot.xLabels].sort((p, q) => Math.abs(p.x - centre) - Math.abs(q.x - centre))[0];
    return { bar: b, group: nearest?.text, series: series.get(b.fill) };
  });
  const top = Math.max(...expected.map((e) => e.value));
  const pxPerUnit = Math.max(...plot.bars.map((b) => b.height)) / top;
  expect(pxPerUnit).toBeGreaterThan(0);
  const baseline = Math.max(...plot.bars.map((b) => b.y + b.height));
  for (const e of expected) {
    const matches = drawn.filter((d) => d.group === e.group && d.series === e.series);
    expect(matches.length, `bars drawn for ${e.group} / ${e.series}`).toBe(1);
    const b = (matches[0] as (typeof drawn)[number]).bar;
    expect(b.width, `width of the ${e.group} / ${e.series} bar`).toBeGreaterThan(1);
    expect(Math.abs(b.height - e.value * pxPerUnit), `height of ${e.group} / ${e.series} ∝ ${e.value}`).toBeLessThan(
      PX,
    );
    if (e.value > 0) expect(b.height).toBeGreaterThan(0);
    expect(Math.abs(b.y + b.height - baseline)).toBeLessThan(PX);
    expect(b.label).toBe(`${e.group}, ${e.series}: ${e.value.toLocaleString('en-US')}`);
  }
  const byX = [...plot.bars].sort((p, q) => p.x - q.x);
  for (let i = 1; i < byX.length; i++) {
    const prev = byX[i - 1] as (typeof byX)[number];
    expect((byX[i] as (typeof byX)[number]).x).toBeGreaterThanOrEqual(prev.x + prev.width - PX);
  }
}

/** Every legend entry of a line chart is drawn: a line of 2+ vertices or a point, in its colour. */
function expectLegendDrawn(plot: DrawnPlot): void {
  expect(plot.legend.length).toBeGreaterThan(0);
  for (const l of plot.legend) {
    const lines = plot.lines.filter((x) => x.stroke === l.color && x.label === l.label && x.points.length >= 2);
    const points = plot.symbols.filter((x) => x.fill === l.color && x.label.startsWith(`${l.label}: `));
    expect(lines.length + points.length, `marks drawn for legend entry '${l.label}'`).toBeGreaterThan(0);
  }
}

/** The points labelled `series` sit on one linear y scale: y = a + b·value with b < 0, to `PX`. */
function expectPointsOnScale(plot: DrawnPlot, series: string, values: readonly number[]): void {
  const pts = plot.symbols.filter((s) => s.label.startsWith(`${series}: `)).sort((p, q) => p.x - q.x);
  expect(pts.map((p) => Number(p.label.split(', ').pop()))).toEqual(values.map((v) => Number(v.toFixed(4))));
  const [p0, p1] = [pts[0], pts[pts.length - 1]];
  if (p0 === undefined || p1 === undefined || values.length < 2) return;
  const v0 = values[0] as number;
  const b = (p1.y - p0.y) / ((values[values.length - 1] as number) - v0);
  expect(b).toBeLessThan(0);
  pts.forEach((p, i) => {
    expect(Math.abs(p.y - (p0.y + b * ((values[i] as number) - v0)))).toBeLessThan(PX);
  });
}

async function plotOf(runDir: string, file: string): Promise<DrawnPlot> {
  return readPlot(await fs.readFile(path.join(runDir, file), 'utf8'));
}

async function epochLog(file: string): Promise<EpochRecord[]> {
  const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
  return lines.map((l) => JSON.parse(l) as MetricsRecord).filter((r): r is EpochRecord => r.type === 'epoch');
}

describe('the plots of a compress run (LeNet-5: conv2 Tucker-2, fc1 low rank)', () => {
  let run = '';
  beforeAll(async () => {
    run = await compressRun(path.join(root, 'compress'));
    const report = await renderReport(run);
    expect(new Set(report.plots)).toEqual(new Set(Object.values(PLOT_FILES)));
  });

  for (const metric of ['params', 'macs'] as const) {
    it(`${PLOT_FILES[metric]}: a dense and a compressed bar for every layer with ${metric}, heights ∝ values`, async () => {
      const r = await fixtureResults();
      const compressed = new Map((r.compressed?.layers ?? []).map((l) => [l.name, l[metric]]));
      const expected = r.dense.layers
        .filter((l) => l[metric] > 0)
        .flatMap((l): BarDatum[] => [
          { group: l.name, series: 'dense', value: l[metric] },
          { group: l.name, series: 'compressed', value: compressed.get(l.name) as number },
        ]);
      expect(expected.map((e) => e.group)).toEqual(['conv1', 'conv1', 'conv2', 'conv2', 'fc1', 'fc1', 'fc2', 'fc2']);
      expectBars(await plotOf(run, PLOT_FILES[metric]), expected);
    });
  }

  it('ranks.svg: R_S and R_T of conv2, the rank of fc1', async () => {
    const sel = (await fixtureResults()).selection;
    expect(sel?.layers.map((l) => l.plan)).toEqual([
      { kind: 'tucker2', rankS: 10, rankT: 14 },
      { kind: 'tt', rowDims: [1, 500], colDims: [800, 1], ranks: [78] },
    ]);
    expectBars(await plotOf(run, PLOT_FILES.ranks), [
      { group: 'conv2', series: 'R_S (input)', value: 10 },
      { group: 'conv2', series: 'R_T (output)', value: 14 },
      { group: 'fc1', series: 'rank', value: 78 },
    ]);
  });

  it('accuracy.svg and loss.svg: every series drawn; a test point per epoch on a linear scale; batch curves per phase', async () => {
    const dense = await epochLog(path.join(run, 'dense', 'metrics.jsonl'));
    const ft = await epochLog(path.join(run, 'metrics.jsonl'));
    for (const [file, value] of [
      [PLOT_FILES.accuracy, (e: EpochRecord) => 100 * (e.testAcc as number)],
      [PLOT_FILES.loss, (e: EpochRecord) => e.testLoss as number],
    ] as const) {
      const plot = await plotOf(run, file);
      expectLegendDrawn(plot);
      expect(plot.legend.map((l) => l.label)).toEqual([
        'train (batch)',
        'train (batch, smoothed)',
        'train (epoch)',
        'test (epoch)',
      ]);
      expectPointsOnScale(plot, 'test (epoch)', [...dense, ...ft].map(value));
      // Dense training and fine-tuning are separate lines of the same series, never joined.
      for (const s of ['train (batch)', 'train (batch, smoothed)'])
        expect(plot.lines.filter((l) => l.label === s).length).toBe(2);
    }
  });
});

describe('the plots of a train run', () => {
  it('layer-params.svg and layer-macs.svg: one dense bar per layer; curves drawn', async () => {
    const run = await trainRun(path.join(root, 'train'));
    const report = await renderReport(run);
    expect(report.plots).toEqual([PLOT_FILES.loss, PLOT_FILES.accuracy, PLOT_FILES.params, PLOT_FILES.macs]);
    const r = await fixtureResults();
    for (const metric of ['params', 'macs'] as const) {
      const expected = r.dense.layers
        .filter((l) => l[metric] > 0)
        .map((l): BarDatum => ({ group: l.name, series: 'dense', value: l[metric] }));
      expectBars(await plotOf(run, PLOT_FILES[metric]), expected);
    }
    expectLegendDrawn(await plotOf(run, PLOT_FILES.accuracy));
    expectLegendDrawn(await plotOf(run, PLOT_FILES.loss));
  });
});

describe('groupedBarChart and lineChart', () => {
  it('wraps a long title at spaces into lines of at most 44 characters', () => {
    const t = 'lenet5: test accuracy vs parameter reduction (dense 98.88%), sweep of eight methods';
    const lines = titleLines(t);
    expect(lines).toEqual(['lenet5: test accuracy vs parameter reduction', '(dense 98.88%), sweep of eight methods']);
    expect(titleLines('Accuracy')).toEqual(['Accuracy']);
  });

  it('draws groups with different series counts, and a zero value as a zero-height bar', async () => {
    const bars: BarDatum[] = [
      { group: 'a', series: 'x', value: 3 },
      { group: 'a', series: 'y', value: 0 },
      { group: 'b', series: 'z', value: 12 },
      { group: 'c', series: 'x', value: 1234567 },
      { group: 'c', series: 'y', value: 7 },
      { group: 'c', series: 'z', value: 1 },
    ];
    const plot = readPlot(await groupedBarChart(bars, { title: 't', x: 'group', y: 'value' }));
    expectBars(plot, bars);
    expect(plot.bars.find((b) => b.label === 'a, y: 0')?.height).toBe(0);
  });

  it('draws every series of a log-x line chart (the sweep Pareto plot) in its colour', async () => {
    const points = [
      { x: 2, y: 98, series: 'energy' },
      { x: 4, y: 97, series: 'energy' },
      { x: 10, y: 91, series: 'energy' },
      { x: 2.1, y: 98.5, series: 'batude' },
      { x: 9, y: 95, series: 'batude' },
      { x: 50, y: 60, series: 'uniform' },
    ];
    const plot = readPlot(await lineChart(points, { title: 'p', x: 'ratio', y: 'acc', xLog: true }));
    expectLegendDrawn(plot);
    expect(plot.legend.map((l) => l.label)).toEqual(['energy', 'batude', 'uniform']);
    expectPointsOnScale(plot, 'energy', [98, 97, 91]);
    // log x: equal ratios, equal distances.
    const e = plot.symbols.filter((s) => s.label.startsWith('energy: ')).sort((p, q) => p.x - q.x);
    const [a, b] = [e[0], e[1]] as [(typeof e)[number], (typeof e)[number]];
    const u = plot.symbols.find((s) => s.label.startsWith('uniform: '));
    expect(Math.abs((u?.x ?? 0) - a.x - ((b.x - a.x) * Math.log(25)) / Math.log(2))).toBeLessThan(0.01);
  });
});
