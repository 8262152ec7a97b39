import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { batudeSelector } from './batude.js';
import { compressibleLayers } from './compressible.js';
import { energySelector } from './energy.js';
import { type LatencyDetails, latencySelector } from './latency-selector.js';
import { LatencyTable, layerSignature } from './latency-table.js';
import { lenet5 } from './models.test-util.js';
import { uniformSelector } from './uniform.js';

const TIMING = { warmup: 1, rounds: 1, minMs: 0 } as const;
const CONTEXT = { inputShape: [28, 28, 1], layers: ['conv2'] };

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  return (e as TnzipError).code;
}

describeBackends('latency budget', () => {
  it('meets the target by the measured table, every planned row cached under (backend, threads, batch, shape, plan)', async () => {
    const model = lenet5();
    const table = new LatencyTable();
    const inner = energySelector({ denseFallback: 'metric' });
    const sel = latencySelector(inner, { batch: 32, table, steps: 5, timing: TIMING });
    const { plan, report } = await sel.select(model, { metric: 'latency', target: 0.7 }, CONTEXT);
    const d = report.details?.latency as LatencyDetails;
    expect(d.target).toEqual({ backend: tf.getBackend(), threads: 1 });
    expect(d.layersMs).toBeLessThanOrEqual(d.limitMs);
    expect(d.limitMs).toBeCloseTo(0.7 * d.layersDenseMs, 10);
    expect(report.achievedLayers).toBeCloseTo(d.layersMs / d.layersDenseMs, 10);
    expect(report.achieved).toBe(report.achievedLayers);
    // The plan is the inner selector's at the MACs target the bisection found (a layer not faster than dense: dense).
    const again = await inner.select(model, { metric: 'macs', target: d.macsTarget, scope: 'layers' }, CONTEXT);
    expect(plan.conv2).toEqual(d.layers[0]?.execution === 'dense' ? { kind: 'dense' } : again.plan.conv2);
    // Each planned layer's latency is its table row, keyed by what decides a layer's speed.
    const [c] = compressibleLayers(model, CONTEXT.inputShape, CONTEXT.layers);
    const key = { backend: tf.getBackend(), threads: 1, batch: 32, shape: c?.inputShape ?? [], layer: '' };
    const row = table.get({ ...key, layer: layerSignature(c?.layer as never), plan: plan.conv2 ?? { kind: 'dense' } });
    expect(row?.ms).toBe(d.layers[0]?.ms);
    expect(row?.execution).toBe(d.layers[0]?.execution);
    expect(
      table.get({ ...key, layer: layerSignature(c?.layer as never), plan: plan.conv2 ?? { kind: 'dense' }, batch: 1 }),
    ).toBeUndefined();
    expect(
      table.get({
        ...key,
        layer: layerSignature(c?.layer as never),
        plan: plan.conv2 ?? { kind: 'dense' },
        threads: 2,
      }),
    ).toBeUndefined();
    // A second selection on the same table measures no row again and gives the same plan.
    const second = await sel.select(model, { metric: 'latency', target: 0.7 }, CONTEXT);
    expect((second.report.details?.latency as LatencyDetails | undefined)?.measuredRows).toBe(0);
    expect(second.plan).toEqual(plan);
    // The table survives JSON.
    expect(LatencyTable.fromJSON(JSON.parse(JSON.stringify(table))).size).toBe(table.size);
    model.dispose();
    // Two selections time every candidate row; on WebGPU over SwiftShader (a CPU rasterizer) on a
    // busy 2-core machine that took over 60 s.
  }, 180_000);

  it('rejects a non-latency budget, bad options and a target no plan reaches', async () => {
    const model = lenet5();
    const sel = latencySelector(uniformSelector(), { batch: 4, steps: 2, timing: TIMING });
    expect(await code(() => sel.select(model, { metric: 'macs', target: 0.5 }, CONTEXT))).toBe('INVALID_BUDGET');
    expect(await code(() => sel.select(model, { metric: 'latency', target: 1.5 }, CONTEXT))).toBe('INVALID_BUDGET');
    expect(await code(() => latencySelector(uniformSelector(), { batch: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await code(() => sel.select(model, { metric: 'latency', target: 1e-6 }, CONTEXT))).toBe('INVALID_BUDGET');
    model.dispose();
  });

  it('refuses to wrap a selector that trains while it selects (BATUDE) before it trains once', async () => {
    const model = lenet5();
    const before = model.namedParameters().map(([, v]) => v.dataId);
    let trained = 0;
    const context = {
      ...CONTEXT,
      train: async () => {
        trained++;
        throw new Error('not reached');
      },
    };
    const sel = latencySelector(batudeSelector({ lambda: 0 }), { batch: 4, steps: 2, timing: TIMING });
    const e = await Promise.resolve()
      .then(() => sel.select(model, { metric: 'latency', target: 0.5 }, context))
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(TnzipError);
    expect((e as TnzipError).code).toBe('INVALID_ARGUMENT');
    expect((e as TnzipError).message).toBe(
      'batude: a latency budget cannot wrap a selector that trains while it selects (it would train once per bisection step); give it a MACs budget',
    );
    expect(trained).toBe(0);
    expect(model.namedParameters().map(([, v]) => v.dataId)).toEqual(before);
    model.dispose();
  });
});
