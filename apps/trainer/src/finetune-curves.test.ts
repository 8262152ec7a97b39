import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellCurve, curvePlots, curveRows, curveTable } from './finetune-curves.js';
import type { SweepCell } from './sweep-cell.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-curves-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function cell(over: Partial<SweepCell>): SweepCell {
  return {
    model: 'lenet5',
    dataset: 'mnist',
    seed: 0,
    method: 'uniform',
    budget: '5x',
    metric: 'macs',
    target: 0.2,
    status: 'ok',
    denseAcc: 0.99,
    testAcc: 0.98,
    beforeFinetuneAcc: 0.5,
    finishedAt: '2026-12-05T00:00:00.000Z',
    ...over,
  };
}

/** Writes `cells/<name>/metrics.jsonl` under `runDir` with one epoch line per accuracy (and a step line). */
async function writeLog(runDir: string, name: string, accs: readonly number[]): Promise<void> {
  const dir = path.join(runDir, 'cells', name);
  await fs.mkdir(dir, { recursive: true });
  const lines = [
    { type: 'step', epoch: 0, step: 0, globalStep: 1, loss: 1, accuracy: 0.5, lr: 0.01, imgPerSec: 1 },
    ...accs.map((testAcc, epoch) => ({ type: 'epoch', epoch, testAcc })),
  ];
  await fs.writeFile(path.join(dir, 'metrics.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

describe('cellCurve', () => {
  it('is [before, after each epoch] from the line, else from the cell log when it ends at the reported accuracy', async () => {
    const run = path.join(root, 'run-a');
    expect(await cellCurve(run, cell({ finetuneTestAcc: [0.9, 0.98] }))).toEqual([0.5, 0.9, 0.98]);
    await writeLog(run, 'lenet5-mnist-seed0-uniform-5x', [0.95, 0.98]);
    expect(await cellCurve(run, cell({}))).toEqual([0.5, 0.95, 0.98]);
    // A log that does not end at the cell's accuracy (stale, another attempt) is not used.
    expect(await cellCurve(run, cell({ testAcc: 0.97 }))).toBeNull();
    expect(await cellCurve(run, cell({ seed: 1 }))).toBeNull(); // no log
    expect(await cellCurve(run, cell({ status: 'failed', testAcc: undefined }))).toBeNull();
  });

  it('never reads outside <run>/cells, whatever the line names', async () => {
    const run = path.join(root, 'run-b');
    await writeLog(path.join(root, 'outside'), 'x-', [0.98]);
    await fs.mkdir(path.join(run, 'cells'), { recursive: true });
    // cells/<model>-<dataset>-seed0-<method>-<budget> with a method that climbs out of cells/.
    const hostile = cell({ model: 'a', dataset: 'b', method: 'c/../../../outside/cells/x', budget: '' });
    expect(await cellCurve(run, hostile)).toBeNull();
  });
});

describe('curveRows, curveTable and curvePlots', () => {
  const curves = [
    { cell: cell({ seed: 0 }), curve: [0.5, 0.9, 0.98] },
    { cell: cell({ seed: 1 }), curve: [0.7, 0.92, 0.96] },
    { cell: cell({ seed: 2 }), curve: [0.6] }, // shorter: not averaged with the full ones
    { cell: cell({ method: 'batude', seed: 0 }), curve: [0.95, 0.97, 0.975] },
    { cell: cell({ method: 'greedy', status: 'failed' }), curve: null },
  ];

  it('averages each point over the seeds with a full curve, one row per method and budget', () => {
    const rows = curveRows(curves);
    expect(rows.map((r) => `${r.method} ${r.seeds}`)).toEqual(['uniform 2', 'batude 1']);
    const u = rows[0]?.points ?? [];
    expect(u.map((p) => p.mean)).toEqual([0.6, 0.91, 0.97].map((x) => expect.closeTo(x, 12)));
    expect(u[0]?.std).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(rows[1]?.points.map((p) => p.std)).toEqual([0, 0, 0]);
  });

  it('tabulates a column per point and plots a line per method', async () => {
    const rows = curveRows(curves);
    const md = curveTable(rows).split('\n');
    expect(md[0]).toBe('| model | dataset | method | budget | seeds | before | epoch 1 | epoch 2 |');
    expect(md[2]).toBe('| lenet5 | mnist | uniform | 5x | 2 | 60.00 ± 14.14 | 91.00 ± 1.41 | 97.00 ± 1.41 |');
    const plots = await curvePlots(rows);
    expect(plots.map((p) => p.name)).toEqual(['finetune-lenet5-mnist-5x.svg']);
    expect(plots[0]?.svg.startsWith('<svg')).toBe(true);
    expect(plots[0]?.svg).toMatch(/batude/);
    expect(plots[0]?.svg).toMatch(/uniform/);
    // Two epochs: the plot starts at epoch 1, where the methods are compared (before: in the table).
    expect(plots[0]?.svg).toMatch(/uniform: 1, 91/);
    expect(plots[0]?.svg).toMatch(/batude: 2, 97\.5/);
    expect(plots[0]?.svg).not.toMatch(/uniform: 0, /);
    // Labels read from sweep.jsonl (or sent by a queue worker) never name a path outside the run.
    const hostile = await curvePlots([
      { ...(rows[0] as (typeof rows)[number]), budget: '../../../tmp/x', dataset: 'a/b' },
    ]);
    expect(hostile.map((p) => p.name)).toEqual(['finetune-lenet5-a_b-.._.._.._tmp_x.svg']);
    // One epoch: before and after.
    const short = await curvePlots([
      { ...(rows[0] as (typeof rows)[number]), points: rows[0]?.points.slice(0, 2) ?? [] },
    ]);
    expect(short[0]?.svg).toMatch(/uniform: 0, 60/);
  });
});
