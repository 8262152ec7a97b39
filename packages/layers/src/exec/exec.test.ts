import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import type { FactorizedModule } from '../factorized/factorized-module.js';
import { randomTensor } from '../factorized/helpers.test-util.js';
import { saveToMemory } from '../io/save.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import type { Module } from '../module.js';
import { applyExecutions, chooseExecutions, type ExecutionPlan } from './choose-executions.js';
import { targetKey } from './execution-target.js';
import { confirmedSlower, optimizeExecutions } from './optimize-executions.js';
import { EXECUTIONS_META_KEY, loadForInference, storedExecution, withExecutions } from './stored-executions.js';

const SHAPE = [8, 8, 3];
const FAST = { warmup: 1, rounds: 1, minMs: 0 } as const;

/** conv (Tucker-2) → ReLU → flatten → linear (rank-4 matrix). Input [8, 8, 3]. */
function net(): Module {
  const m = new Sequential('net', [
    new Conv2d('c', { inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same', seed: 1 }),
    new ReLU('r'),
    new Flatten('f'),
    new Linear('fc', { inFeatures: 512, outFeatures: 6, seed: 2 }),
  ]);
  return factorize(m, {
    c: { kind: 'tucker2', rankS: 2, rankT: 3 },
    fc: { kind: 'tt', rowDims: [1, 6], colDims: [512, 1], ranks: [4] },
  });
}

function layer(m: Module, path: string): Module {
  return m.namedModules().find(([p]) => p === path)?.[1] as Module;
}

/** max |t| read asynchronously (webgpu in Node cannot read a GPU value synchronously); disposes what it makes. */
async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => tf.max(tf.abs(t)));
  const [v] = await m.data();
  m.dispose();
  return v as number;
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.sub(a, b);
  const v = await maxAbs(d);
  d.dispose();
  return v;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  expect((e as TnzipError).code, (e as Error).message).toBe(code);
}

describeBackends('measured execution choice', () => {
  it('times each factorized layer in its kind’s candidates at each batch and keeps the fastest, leaking nothing', async () => {
    await expectNoLeakAsync(async () => {
      // Inside: the model's cached reconstructed kernels are freed with it.
      const m = net();
      const choice = await chooseExecutions(m, SHAPE, { ...FAST, batches: [1, 4], keepDense: (p) => p === 'c' });
      expect(choice.backend).toBe(tf.getBackend());
      expect(choice.threads).toBe(1);
      expect(choice.layers.map((l) => l.path)).toEqual(['c', 'fc']);
      const [c, fc] = choice.layers;
      expect(c?.candidates).toEqual(['factorized', 'reconstructed', 'dense']);
      expect(fc?.candidates).toEqual(['factorized', 'reconstructed']);
      for (const l of choice.layers) {
        for (const e of l.candidates) expect(l.ms[e]).toHaveLength(2);
        for (let b = 0; b < 2; b++) {
          const times = l.candidates.map((e) => (l.ms[e] as number[])[b] as number);
          expect((l.ms[l.fastest[b] as 'factorized'] as number[])[b]).toBe(Math.min(...times));
        }
      }
      m.dispose();
    });
  });

  it('keeps a layer dense only when dense is fastest at every batch, and only the permitted executions', async () => {
    const m = net();
    const choice = await chooseExecutions(m, SHAPE, {
      ...FAST,
      keepDense: () => true,
      allow: (_p, e) => e === 'reconstructed',
    });
    for (const l of choice.layers) expect(l.chosen).toEqual(['reconstructed', 'reconstructed']);
    m.dispose();
  });

  it('a stored choice is honoured on load for the same backend and threads, re-measured and added for others', async () => {
    const m = net();
    const x = randomTensor([2, ...SHAPE], 3);
    const y0 = m.apply(x);
    const measured = await chooseExecutions(m, SHAPE, { ...FAST, batches: [1, 64] });
    // A stored choice that differs per batch, so honouring it is visible in the layers.
    const choice = {
      ...measured,
      layers: measured.layers.map((l) => ({
        ...l,
        chosen:
          l.path === 'c' ? (['reconstructed', 'factorized'] as const) : (['factorized', 'reconstructed'] as const),
      })),
    };
    const meta = withExecutions({ note: 'kept' }, choice);
    const art = await saveToMemory(m, { inputShape: SHAPE, meta });
    const a = await loadForInference(tf.io.fromMemory(art), FAST);
    expect(a.executions.status).toBe('stored');
    expect(a.executions.key).toBe(`${tf.getBackend()}@1`);
    const c = layer(a.model, 'c') as FactorizedModule;
    const fc = layer(a.model, 'fc') as FactorizedModule;
    expect(c.effectiveMode([8, 8, 3], 1)).toBe('reconstructed');
    expect(c.effectiveMode([8, 8, 3], 64)).toBe('factorized');
    expect(fc.effectiveMode([512], 2)).toBe('factorized');
    expect(fc.effectiveMode([512], 100)).toBe('reconstructed');
    const y1 = a.model.apply(x);
    const x64 = tf.tile(x, [32, 1, 1, 1]);
    const y64 = a.model.apply(x64);
    const tol = 1e-4 * (await maxAbs(y0));
    expect(await maxAbsDiff(y1, y0)).toBeLessThan(tol);
    const head = tf.slice(y64, [0, 0], [2, 6]);
    expect(await maxAbsDiff(head, y0)).toBeLessThan(tol);
    head.dispose();
    a.model.dispose();

    const b = await loadForInference(tf.io.fromMemory(art), { ...FAST, threads: 2 });
    expect(b.executions.status).toBe('measured');
    expect(b.executions.key).toBe(`${tf.getBackend()}@2`);
    expect(b.meta.note).toBe('kept');
    expect(Object.keys(b.meta[EXECUTIONS_META_KEY] as object).sort()).toEqual(
      [`${tf.getBackend()}@1`, `${tf.getBackend()}@2`].sort(),
    );
    expect(storedExecution(b.meta, `${tf.getBackend()}@2`)?.layers).toEqual(b.executions.executions.layers);
    expect((layer(b.model, 'c') as FactorizedModule).batchModes?.modes).toEqual(
      b.executions.executions.layers.c?.map((e) => e),
    );
    b.model.dispose();
    m.dispose();
    tf.dispose([x, x64, y0, y1, y64]);
  });

  it('all-dense executions replace the layer by its dense equivalent (same function)', async () => {
    const m = net();
    const x = randomTensor([2, ...SHAPE], 4);
    const y0 = m.apply(x);
    const plan: ExecutionPlan = { batches: [1, 64], layers: { c: ['dense', 'dense'] } };
    applyExecutions(m, plan);
    expect(layer(m, 'c')).toBeInstanceOf(Conv2d);
    const y1 = m.apply(x);
    expect(await maxAbsDiff(y1, y0)).toBeLessThan(1e-4 * (await maxAbs(y0)));
    tf.dispose([x, y0, y1]);
    m.dispose();
  });

  it('checks the whole model against its dense parent and says where the budget forbade a faster form', async () => {
    const m = net();
    const r = await optimizeExecutions(m, SHAPE, { ...FAST, allow: (_p, e) => e === 'factorized' });
    expect(r.speed.batches).toEqual([1, 64]);
    expect(r.speed.ratios).toHaveLength(2);
    const forbidden = r.choice.layers.flatMap((l) => l.fastest.filter((e) => e !== 'factorized'));
    expect(r.notes.filter((n) => n.includes('the budget forbids it'))).toHaveLength(forbidden.length);
    for (const l of r.choice.layers) expect(l.chosen).toEqual(['factorized', 'factorized']);
    expect(r.notSlower).toBe(r.speed.ratios.every((v) => v <= 1.05));
    m.dispose();
  });

  it('makes layers dense only when two measurements agree the model is slower, and never with fallback off', async () => {
    const speed = (ratios: number[]) => ({ batches: [1, 64], ms: ratios, denseMs: [1, 1], ratios });
    expect(confirmedSlower(speed([1.2, 0.9]), speed([1.1, 0.8]), 1.05)).toBe(true);
    expect(confirmedSlower(speed([1.2, 0.9]), speed([1.0, 0.8]), 1.05)).toBe(false);
    expect(confirmedSlower(speed([1.04, 0.9]), speed([1.3, 1.3]), 1.05)).toBe(false);
    // A tolerance of -1 makes every measurement "slower": with the fallback on every layer ends
    // dense; with it off nothing is made dense after the per-layer choice.
    const on = net();
    const densified = await optimizeExecutions(on, SHAPE, { ...FAST, tolerance: -1, keepDense: () => true });
    for (const l of densified.choice.layers) expect(l.chosen).toEqual(['dense', 'dense']);
    on.dispose();
    const off = net();
    const kept = await optimizeExecutions(off, SHAPE, {
      ...FAST,
      tolerance: -1,
      keepDense: () => true,
      fallback: false,
    });
    expect(kept.notes.filter((n) => n.startsWith('whole model'))).toEqual([]);
    const perLayer = kept.choice.layers.filter((l) => !l.chosen.includes('dense'));
    expect(kept.notSlower).toBe(perLayer.length === 0);
    if (perLayer.length > 0) expect(kept.notes.at(-1)).toContain('the budget keeps its factorized forms');
    off.dispose();
  });

  it('rejects bad batches and malformed stored choices', async () => {
    const m = net();
    await expectCode(chooseExecutions(m, SHAPE, { batches: [] }), 'INVALID_ARGUMENT');
    await expectCode(chooseExecutions(m, SHAPE, { batches: [0] }), 'INVALID_ARGUMENT');
    await expectCode(chooseExecutions(m, SHAPE, { threads: 0 }), 'INVALID_ARGUMENT');
    await expectCode(
      () => storedExecution({ [EXECUTIONS_META_KEY]: { 'cpu@1': { batches: [1], layers: { c: ['fast'] } } } }, 'cpu@1'),
      'CORRUPT_FILE',
    );
    await expectCode(() => storedExecution({ [EXECUTIONS_META_KEY]: 3 }, 'cpu@1'), 'CORRUPT_FILE');
    expect(targetKey({ backend: 'wasm', threads: 2 })).toBe('wasm@2');
    m.dispose();
  });
});
