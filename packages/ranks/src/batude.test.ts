import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { mnist, type Split, selectExamples } from '@tnzip/data';
import { Linear, type Module, Sequential } from '@tnzip/layers';
import { frobeniusNorm64, modeProduct64, Rng, type Tensor64, unfold64 } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { type JsonValue, train } from '@tnzip/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batudeSelector } from './batude.js';
import { batudeHook } from './batude-hook.js';
import { batudeProject, batudeSpectra } from './batude-truncate.js';
import type { Budget } from './budget.js';
import { errorCode, expectMaximalPlan } from './budget-check.test-util.js';
import { lenetSmall } from './models.test-util.js';
import { singularValues } from './spectra.js';

const inputShape = [28, 28, 1];
const layers = ['conv2', 'fc1', 'fc2'];
const context = { inputShape, layers };
const budget: Budget = { metric: 'macs', target: 0.3 };

let data: { train: Split };
beforeAll(() => {
  const m = mnist();
  data = {
    train: selectExamples(
      m.train,
      Array.from({ length: 96 }, (_, i) => i),
    ),
  };
});

function randn(shape: number[], rng: Rng): Tensor64 {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal();
  return { shape, data: d };
}

/** Every parameter's values, read with `await data()` (the read path on every backend). */
async function weights(model: Module): Promise<Float32Array[]> {
  return (await Promise.all(model.namedParameters().map(([, v]) => v.data()))) as Float32Array[];
}

describe('BATUDE Z-step (Tucker-2 truncation)', () => {
  it('keeps a kernel of multilinear rank (R_S, R_T) unchanged and truncates others to those ranks', () => {
    const rng = new Rng(3);
    // [k_h, k_w, S, T] = [3, 3, 6, 8] of mode-S rank 2 and mode-T rank 3.
    const core = randn([3, 3, 2, 3], rng);
    const us = randn([6, 2], rng);
    const ut = randn([8, 3], rng);
    const k = modeProduct64(
      modeProduct64(core, { rows: 6, cols: 2, data: us.data }, 2),
      { rows: 8, cols: 3, data: ut.data },
      3,
    );
    const z = batudeProject(k, batudeSpectra(k), [2, 3]);
    const diff = z.data.map((v, i) => v - (k.data[i] as number));
    expect(frobeniusNorm64({ shape: k.shape, data: diff })).toBeLessThan(1e-10 * frobeniusNorm64(k));

    const full = randn([3, 3, 6, 8], rng);
    const t = batudeProject(full, batudeSpectra(full), [2, 4]);
    const sS = singularValues(unfold64(t, 2));
    const sT = singularValues(unfold64(t, 3));
    // Ranks beyond the truncation vanish to rounding (relative to σ_1).
    expect((sS[2] as number) / (sS[0] as number)).toBeLessThan(1e-7);
    expect((sT[4] as number) / (sT[0] as number)).toBeLessThan(1e-7);
  });

  it('truncates a matrix (either orientation) to its best rank-R approximation, with soft shrinkage', () => {
    const rng = new Rng(5);
    for (const shape of [
      [12, 7],
      [7, 12],
    ]) {
      const a = randn(shape, rng);
      const sp = batudeSpectra(a);
      const z = batudeProject(a, sp, [3]);
      const s = singularValues({ rows: shape[0] as number, cols: shape[1] as number, data: z.data });
      const sa = sp.sigma[0] as Float64Array;
      for (let i = 0; i < 3; i++) expect(s[i]).toBeCloseTo(sa[i] as number, 9);
      expect((s[3] as number) / (s[0] as number)).toBeLessThan(1e-7);
      const tau = (sa[2] as number) * 0.5;
      const zs = batudeProject(a, sp, [3], tau);
      const ss = singularValues({ rows: shape[0] as number, cols: shape[1] as number, data: zs.data });
      for (let i = 0; i < 3; i++) expect(ss[i]).toBeCloseTo((sa[i] as number) - tau, 9);
    }
  });
});

describeBackends('batudeHook', (backend) => {
  let model: Module;
  beforeAll(() => {
    model = lenetSmall();
  });
  afterAll(() => model.dispose());

  it('an update allocates ranks that meet the budget within one rank step, for MAC and param budgets', () => {
    const budgets: Budget[] = [budget, { metric: 'params', target: 0.1 }, { metric: 'macs', target: 0.6 }];
    for (const b of budgets) {
      for (const minRank of [1, 3]) {
        const hook = batudeHook(model, b, context, { minRank });
        expect(hook.ranks()).toBeNull();
        hook.update();
        const plan = hook.ranks();
        if (plan === null) throw new Error('no ranks after an update');
        expectMaximalPlan(model, plan, null, b, context, { format: 'tucker2', minRank });
        expect(hook.residual()).toBeGreaterThan(0);
        hook.dispose();
      }
    }
  });

  it("denseFallback 'metric': no layer is planned dearer than dense, and a dense-planned layer's Z is its weight", () => {
    // b (64 -> 16) has larger normalized singular values per MAC than a (64 -> 64), so GreedyBudget
    // fills b to full rank 16: 16·(64+16) = 1280 MACs against 1024 dense (found on LeNet-5's fc1).
    const two = new Sequential('two', [
      new Linear('a', { inFeatures: 64, outFeatures: 64, seed: 5 }),
      new Linear('b', { inFeatures: 64, outFeatures: 16, seed: 6 }),
    ]);
    const ctx = { inputShape: [64], layers: ['a', 'b'] };
    const b: Budget = { metric: 'macs', target: 0.8 };
    const planned = (denseFallback: 'none' | 'metric') => {
      // The historical absolute-cost weighting, under which b is filled past its dense cost.
      const hook = batudeHook(two, b, ctx, { denseFallback, weighting: 'none', minRank: 1 });
      hook.update();
      const st = hook.state() as { ranks: number[][]; z: number[][] };
      const plan = hook.ranks();
      const costs = hook.problem.spaces.map((s, l) => ({
        factorized: s.cost(st.ranks[l] as number[]).macs,
        dense: s.dense.macs,
      }));
      hook.dispose();
      return { plan, costs, z: st.z };
    };
    const none = planned('none');
    expect((none.costs[1] as { factorized: number }).factorized).toBeGreaterThan(
      (none.costs[1] as { dense: number }).dense,
    );
    const fb = planned('metric');
    expect(fb.plan?.b).toEqual({ kind: 'dense' });
    let total = 0;
    fb.costs.forEach((c, l) => {
      const kept = fb.plan?.[l === 0 ? 'a' : 'b'];
      const cost = kept?.kind === 'dense' ? c.dense : c.factorized;
      expect(cost).toBeLessThanOrEqual(c.dense);
      total += cost;
    });
    expect(total).toBeLessThanOrEqual(0.8 * (fb.costs[0]?.dense ?? 0) + 0.8 * (fb.costs[1]?.dense ?? 0));
    // First update: U = 0, so an unprojected Z is exactly the float32 weight.
    const wb = Array.from(
      two
        .namedParameters()
        .find(([p]) => p === 'b.weight')?.[1]
        .dataSync() ?? [],
    );
    expect(wb.length).toBe(64 * 16);
    expect(fb.z[1]).toEqual(wb);
    two.dispose();
  });

  it('leaks no tensor over many training steps and Z/U updates, and dispose frees what it holds', async () => {
    const base = tf.memory().numTensors;
    const hook = batudeHook(model, budget, context, { updateEvery: 2, rho: 0.01, rhoGrowth: 1.5 });
    hook.update();
    const held = tf.memory().numTensors;
    expect(held - base).toBe(layers.length); // one Z − U tensor per layer
    const r = await train(model, data, { epochs: 2, batchSize: 16, lr: 0.01, hooks: [hook], logEvery: 0 });
    expect(r.globalStep).toBe(12);
    expect(hook.updates()).toBe(1 + 2 + 6); // the manual one, 2 epoch starts, every 2nd of 12 steps
    expect(tf.memory().numTensors).toBe(held);
    hook.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });

  it('ρ grows by γ up to its cap, and the penalty pulls W onto the low-rank set', async () => {
    const residualAfter = async (rho: number, growth: number, rhoMax: number): Promise<[number, number]> => {
      const m = lenetSmall();
      const opts = { rho, rhoGrowth: growth, rhoMax, updateEvery: 3, weighting: 'none', minRank: 1 } as const;
      const hook = batudeHook(m, budget, context, opts);
      await train(m, data, { epochs: 2, batchSize: 16, lr: 0.02, hooks: [hook], logEvery: 0 });
      // Energy of W outside its own truncation to the hook's final ranks: what factorizing loses.
      const plan = hook.ranks();
      let lost = 0;
      let total = 0;
      hook.problem.spaces.forEach((sp) => {
        const w: Tensor64 = { shape: sp.layer.weight.shape, data: Float64Array.from(sp.layer.weight.dataSync()) };
        const z = batudeProject(w, batudeSpectra(w), sp.ranksOf(plan?.[sp.path] ?? { kind: 'dense' }));
        w.data.forEach((v, i) => {
          lost += (v - (z.data[i] as number)) ** 2;
          total += v * v;
        });
      });
      const r = lost / total;
      const finalRho = hook.rho();
      hook.dispose();
      m.dispose();
      return [r, finalRho];
    };
    const [strong, rhoStrong] = await residualAfter(0.05, 2, 0.4);
    const [weak] = await residualAfter(1e-8, 1, 1e-8);
    expect(rhoStrong).toBe(0.4);
    expect(strong).toBeLessThan(weak / 2);
  });

  it('state() round-trips through JSON exactly', () => {
    const hook = batudeHook(model, budget, context, { rho: 0.01 });
    hook.update();
    hook.update();
    const json = JSON.parse(JSON.stringify(hook.state())) as JsonValue;
    const other = batudeHook(model, budget, context, { rho: 0.01 });
    other.loadState(json);
    expect(other.state()).toEqual(hook.state());
    expect(other.ranks()).toEqual(hook.ranks());
    expect(other.rho()).toBe(hook.rho());
    hook.dispose();
    other.dispose();
  });

  it('a run killed mid-epoch and resumed from its checkpoint ends bit-exactly where an uninterrupted run ends', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batude-'));
    const opts = { epochs: 2, batchSize: 16, lr: 0.02, logEvery: 0, seed: 7 } as const;
    const hookOpts = { updateEvery: 5, rho: 0.05, rhoGrowth: 1.3 };
    try {
      const a = lenetSmall();
      const ha = batudeHook(a, budget, context, hookOpts);
      await train(a, data, { ...opts, hooks: [ha] });
      const wa = await weights(a);

      const b = lenetSmall();
      const hb = batudeHook(b, budget, context, hookOpts);
      const kill = new Error('killed');
      await expect(
        train(b, data, {
          ...opts,
          hooks: [hb],
          outDir: path.join(dir, 'b'),
          checkpointEvery: 4,
          onCheckpoint: (info) => {
            // Global step 8 is mid-way through the second epoch (6 steps per epoch).
            if (info.globalStep === 8) throw kill;
          },
        }),
      ).rejects.toBe(kill);
      hb.dispose();
      b.dispose();

      const c = lenetSmall();
      const hc = batudeHook(c, budget, context, hookOpts);
      const rc = await train(c, data, {
        ...opts,
        hooks: [hc],
        outDir: path.join(dir, 'b'),
        checkpointEvery: 4,
        resume: true,
      });
      expect(rc.resumedFrom).not.toBeNull();
      const wc = await weights(c);
      if (backend === 'webgpu') {
        // GPU kernels promise no bit-identical float32 rounding across a restart (measured: last-bit
        // differences, <= 3e-7 relative, in a few entries); the resumed run must still choose the same
        // ranks and reach the same weights to float32 precision (1e-5 relative to each tensor's norm).
        expect(hc.ranks()).toEqual(ha.ranks());
        wc.forEach((w, i) => {
          const ref = wa[i] as Float32Array;
          let num = 0;
          let den = 0;
          for (let k = 0; k < ref.length; k++) {
            num += ((w[k] as number) - (ref[k] as number)) ** 2;
            den += (ref[k] as number) ** 2;
          }
          expect(Math.sqrt(num / Math.max(den, 1e-30))).toBeLessThan(1e-5);
        });
      } else {
        expect(wc).toEqual(wa);
        expect(hc.state()).toEqual(ha.state());
      }
      ha.dispose();
      hc.dispose();
      a.dispose();
      c.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects invalid budgets, options, states and plans with TnzipError', async () => {
    expect(await errorCode(() => batudeHook(model, { metric: 'macs', target: 0 }, context))).toBe('INVALID_BUDGET');
    expect(await errorCode(() => batudeHook(model, { metric: 'flops' as 'macs', target: 0.5 }, context))).toBe(
      'INVALID_BUDGET',
    );
    // Even rank 1 everywhere costs more than 0.1 % of the MACs.
    expect(await errorCode(() => batudeHook(model, { metric: 'macs', target: 0.001 }, context))).toBe('INVALID_BUDGET');
    expect(await errorCode(() => batudeHook(model, budget, context, { rho: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => batudeHook(model, budget, context, { rhoGrowth: 0.5 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => batudeHook(model, budget, context, { updateAtEpochStart: false }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await errorCode(() => batudeHook(model, budget, { inputShape, layers: ['nope'] }))).toBe('NOT_FOUND');
    const hook = batudeHook(model, budget, context);
    expect(await errorCode(() => hook.loadState({ rho: 1 }))).toBe('CORRUPT_FILE');
    expect(await errorCode(() => hook.loadState({ rho: 1, updates: 1, ranks: [[1]], z: [[0]], u: [[0]] }))).toBe(
      'CORRUPT_FILE',
    );
    expect(
      await errorCode(() =>
        batudeProject(
          { shape: [4, 4], data: new Float64Array(16) },
          batudeSpectra({ shape: [4, 4], data: new Float64Array(16) }),
          [5],
        ),
      ),
    ).toBe('INVALID_RANK');
    hook.dispose();
    expect(await errorCode(() => hook.update())).toBe('INVALID_ARGUMENT');
    // Without a training runner in the context (the pipeline provides one), and with 0 epochs.
    expect(await errorCode(() => batudeSelector().select(model, budget, context))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => batudeSelector({ epochs: 0 }))).toBe('INVALID_ARGUMENT');
  });
});

describeBackends('batudeSelector', () => {
  it('trains in place through context.train and returns a maximal plan within the budget', async () => {
    const model = lenetSmall();
    const phases: number[] = [];
    const sel = batudeSelector({ epochs: 2 });
    const { plan, report } = await sel.select(
      model,
      { metric: 'params', target: 0.2 },
      {
        ...context,
        train: ({ epochs, hooks }) => {
          phases.push(epochs);
          return train(model, data, { epochs, batchSize: 32, lr: 0.02, logEvery: 0, hooks });
        },
      },
    );
    expect(phases).toEqual([2]);
    expect(report.searchMs).toBeGreaterThan(0);
    expectMaximalPlan(model, plan, report, { metric: 'params', target: 0.2 }, context, { format: 'tucker2' });
    model.dispose();
  });
});
