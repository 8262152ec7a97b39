import { Conv2d, type FactorizationPlan, factorize, Linear, ReLU, Sequential, summary } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { compressibleLayers } from './compressible.js';
import { defaultTTDims, layerSpace } from './layer-space.js';
import { selectionReport } from './report.js';
import { singularValues } from './spectra.js';

function expectSameSpectrum(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const top = Math.max(a[0] as number, 1e-300);
  a.forEach((v, i) => {
    expect(Math.abs(v - (b[i] as number)) / top).toBeLessThan(1e-10);
  });
}

describe('defaultTTDims', () => {
  it('splits into balanced factors near 8', () => {
    expect(defaultTTDims(16)).toEqual([4, 4]);
    expect(defaultTTDims(50)).toEqual([10, 5]);
    expect(defaultTTDims(500)).toEqual([10, 10, 5]);
    expect(defaultTTDims(3)).toEqual([3]);
    expect(defaultTTDims(1)).toEqual([1]);
  });
});

describeBackends('layer spaces', () => {
  const model = (): Sequential =>
    new Sequential('m', [
      new Conv2d('conv', { inChannels: 6, outChannels: 8, kernelSize: 3, padding: 1, seed: 1 }),
      new ReLU('r'),
      new Conv2d('conv2', { inChannels: 8, outChannels: 4, kernelSize: 3, stride: 2, seed: 2 }),
    ]);

  it('TT unfoldings of a conv with undivided S and T have the Tucker-2 spectra', () => {
    const m = model();
    const [c] = compressibleLayers(m, [7, 7, 6]);
    if (c === undefined) throw new Error('no layer');
    const tucker = layerSpace(c, { format: 'tucker2' });
    const tt = layerSpace(c, { format: 'tt', ttDims: () => ({ rowDims: [8], colDims: [6] }) });
    expect(tt.bounds).toEqual(tucker.bounds);
    // Chain [S, k², T]: bond 0 is S × k²T, bond 1 is S·k² × T — the mode-S and mode-T unfoldings up to a column permutation.
    expectSameSpectrum(singularValues(tt.unfolding(0)), singularValues(tucker.unfolding(0)));
    expectSameSpectrum(singularValues(tt.unfolding(1)), singularValues(tucker.unfolding(1)));
    expect(tt.unfoldingShapes).toEqual([
      [6, 72],
      [54, 8],
    ]);
    m.dispose();
  });

  it('the TT-matrix unfolding of a Linear pairs (t_k, s_k), t major, as TTLinear does', () => {
    const lin = new Linear('fc', { inFeatures: 12, outFeatures: 6, seed: 3 });
    const m = new Sequential('m', [lin]);
    const [c] = compressibleLayers(m, [12]);
    if (c === undefined) throw new Error('no layer');
    const sp = layerSpace(c, { format: 'tt', ttDims: () => ({ rowDims: [2, 3], colDims: [4, 3] }) });
    expect(sp.bounds).toEqual([8]);
    const u = sp.unfolding(0);
    expect([u.rows, u.cols]).toEqual([8, 9]);
    const w = lin.weight.dataSync();
    // W [S, T], M = Wᵀ; P[i1, j1, i2, j2] = M[i1·3 + i2, j1·3 + j2].
    for (let i1 = 0; i1 < 2; i1++)
      for (let j1 = 0; j1 < 4; j1++)
        for (let i2 = 0; i2 < 3; i2++)
          for (let j2 = 0; j2 < 3; j2++) {
            const t = i1 * 3 + i2;
            const s = j1 * 3 + j2;
            expect(u.data[(i1 * 4 + j1) * 9 + i2 * 3 + j2]).toBeCloseTo(w[s * 6 + t] as number, 6);
          }
    m.dispose();
  });

  it("'tucker2' plans a Linear as a rank-R matrix (TT [1, T] × [S, 1]); plans round-trip; costs follow planCost", () => {
    const lin = new Linear('fc', { inFeatures: 20, outFeatures: 7, seed: 3 });
    const m = new Sequential('m', [lin]);
    const [c] = compressibleLayers(m, [20]);
    if (c === undefined) throw new Error('no layer');
    const sp = layerSpace(c);
    expect(sp.bounds).toEqual([7]);
    expect(sp.plan([3])).toEqual({ kind: 'tt', rowDims: [1, 7], colDims: [20, 1], ranks: [3] });
    expect(sp.cost([3])).toEqual({ params: 3 * (20 + 7) + 7, macs: 3 * (20 + 7), outputShape: [7] });
    expect(sp.ranksOf(sp.plan([5]))).toEqual([5]);
    expectSameSpectrum(
      singularValues(sp.unfolding(0)),
      singularValues({ rows: 20, cols: 7, data: Float64Array.from(lin.weight.dataSync()) }),
    );
    expect(() => sp.cost([8])).toThrow(TnzipError);
    expect(() => sp.cost([2, 2])).toThrow(/expected 1 ranks/);
    expect(() => layerSpace(c, { format: 'tt', ttDims: () => ({ rowDims: [7], colDims: [4, 5] }) })).toThrow(
      TnzipError,
    );
    expect(() => layerSpace(c, { format: 'tt', ttDims: () => ({ rowDims: [7], colDims: [20] }) })).toThrow(
      /at least 2 pairs/,
    );
    expect(() => layerSpace(c, { format: 'tt', ttDims: () => ({ rowDims: [7, 2], colDims: [4, 5] }) })).toThrow(
      TnzipError,
    );
    m.dispose();
  });

  it('selectionReport of a plan equals the summary of the factorized model; SCADA counts the core once', () => {
    const m = model();
    const ctx = { inputShape: [7, 7, 6] };
    const plan: FactorizationPlan = {
      conv: { kind: 'tucker2', rankS: 3, rankT: 4 },
      conv2: { kind: 'tt', rowDims: [2, 2], colDims: [4, 2], ranks: [3, 5, 4, 2] },
    };
    const report = selectionReport(m, plan, { method: 'hand', budget: { metric: 'macs', target: 1 }, context: ctx });
    const dense = summary(m, [7, 7, 6]);
    factorize(m, plan);
    const after = new Map(summary(m, [7, 7, 6]).rows.map((r) => [r.name, r]));
    for (const r of report.layers) {
      expect(after.get(r.layer)?.params).toBe(r.params);
      expect(after.get(r.layer)?.macs).toBe(r.macs);
    }
    expect(report.dense.params).toBe(dense.rows.filter((r) => r.kind === 'conv2d').reduce((a, r) => a + r.params, 0));
    expect(report.achieved).toBeCloseTo(report.planned.macs / report.dense.macs, 15);
    m.dispose();

    const m2 = model();
    const scada: FactorizationPlan = {
      conv: { kind: 'scada-tucker', dims: [8, 9, 6], ranks: [2, 2, 2], group: 'g' },
      conv2: { kind: 'scada-tucker', dims: [8, 6, 6], ranks: [2, 2, 2], group: 'g' },
    };
    const r2 = selectionReport(m2, scada, { method: 'hand', budget: { metric: 'params', target: 1 }, context: ctx });
    factorize(m2, scada);
    expect(r2.planned.params).toBe(summary(m2, [7, 7, 6]).rows.reduce((a, r) => a + r.params, 0));
    expect(() =>
      selectionReport(
        m2,
        { nope: { kind: 'dense' } },
        { method: 'x', budget: { metric: 'params', target: 1 }, context: ctx },
      ),
    ).toThrow(TnzipError);
    m2.dispose();
  });
});
