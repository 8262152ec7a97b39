import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineChart } from './plots.js';
import { REPORT_HTML } from './report-html.js';
import { readPlot } from './svg-geometry.test-util.js';
import { type SweepCellView, writeSweepReportHtml } from './sweep-report-html.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-sweep-html-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const cell = (method: string, budget: string, ratio: number, acc: number): SweepCellView => ({
  model: 'lenet5',
  method,
  budget,
  status: 'ok',
  denseAcc: 0.989,
  testAcc: acc,
  beforeFinetuneAcc: acc - 0.2,
  paramsRatioLayers: ratio,
  paramsRatioNet: ratio * 0.97,
  macsRatioNet: ratio * 0.8,
  searchSeconds: 0.5,
  finetuneSeconds: 40,
});

describe('writeSweepReportHtml', () => {
  it('writes one self-contained page: command, protocol, every cell (failures escaped), Pareto plots inline', async () => {
    const cells: SweepCellView[] = [
      cell('energy', '2x', 2, 0.988),
      cell('energy', '10x', 10, 0.975),
      cell('vbmf', '2x', 2.1, 0.987),
      cell('vbmf', '10x', 9.6, 0.97),
      {
        model: 'lenet5',
        method: 'uniform',
        budget: '50x',
        status: 'failed',
        denseAcc: 0.989,
        error: 'E_BUDGET: <50x> | unreachable',
      },
    ];
    const ok = cells.filter((c) => c.status === 'ok');
    const svg = await lineChart(
      ok.map((c) => ({ x: c.paramsRatioNet as number, y: 100 * (c.testAcc as number), series: c.method })),
      { title: 'lenet5: accuracy vs params', x: 'dense / compressed params', y: 'test accuracy (%)', xLog: true },
    );
    await fs.writeFile(path.join(root, 'pareto-lenet5-params.svg'), svg);
    const md =
      '# tnzip sweep\n\nRun `x`; command `tnzip sweep`.\n\nProtocol: seed 0, `energy` first.\n\n| a |\n|---|\n\n![p](p.svg)\n';
    await writeSweepReportHtml(root, {
      argv: ['sweep', '--model', 'lenet5', '--methods', 'energy,vbmf,uniform', '--budgets', '2x,10x,50x'],
      cells,
      denseAcc: { lenet5: 0.989 },
      plots: ['pareto-lenet5-params.svg'],
      config: { seed: 0 },
      markdown: md,
    });
    const html = await fs.readFile(path.join(root, REPORT_HTML), 'utf8');
    expect(html).not.toMatch(/<script\b|<link\b|<img\b|(src|href)="(https?:)?\/\//i);
    expect(html).toContain(
      '<code>tnzip sweep --model lenet5 --methods energy,vbmf,uniform --budgets 2x,10x,50x</code>',
    );
    expect(html).toContain('<p>Protocol: seed 0, <code>energy</code> first.</p>');
    expect(html).not.toContain('| a |');
    expect(html).not.toContain('Run <code>x</code>');
    expect(html).toContain('>98.90%</div>'); // dense accuracy card
    expect(html.match(/<tr>/g)?.length).toBe(1 + cells.length);
    expect(html).toContain('<td class="num">97.50%</td><td class="num">1.40</td>'); // energy 10x: acc, drop
    expect(html).toContain('<td class="wrap">failed: E_BUDGET: &#60;50x&#62; | unreachable</td>');
    const inline = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(inline.length).toBe(1);
    const plot = readPlot(inline[0] as string);
    expect(plot.legend.map((l) => l.label)).toEqual(['energy', 'vbmf']);
    for (const l of plot.legend)
      expect(plot.lines.some((x) => x.stroke === l.color && x.points.length === 2)).toBe(true);
  });
});
