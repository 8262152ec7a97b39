/*
 * Acceptance test of the kind registries: a factorized kind defined entirely in this file — a
 * low-rank Linear, `y = (x·U)·V + b` — registers its module class, its FactorizedKind and its
 * rank-space provider through the public APIs of @tnzip/layers and @tnzip/ranks, and then works
 * through a selector, planCost, factorize and save/load without any other file knowing about it.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Cost,
  costInMode,
  type ExecutionMode,
  type FactorizedKind,
  FactorizedModule,
  factorize,
  type KindCost,
  type LayerPlanTypes,
  Linear,
  load,
  type ModuleConfig,
  planCost,
  ReLU,
  registerFactorizedKind,
  registerModule,
  Sequential,
  type Shape,
  save,
} from '@tnzip/layers';
import { asMatrix, checkRank, fromTf, Rng, svd64, TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LayerSpace, registerRankSpace, uniformSelector } from './index.js';

declare module '@tnzip/layers' {
  interface LayerPlanTypes {
    'low-rank': { readonly kind: 'low-rank'; readonly rank: number };
  }
}
type LowRankPlan = LayerPlanTypes['low-rank'];

/** The one cost formula: `R·(S + T) (+T)` params; `R·(S + T)` MACs factorized, `S·T` dense. */
function lowRankCost(s: number, t: number, r: number, bias: boolean, inputShape: Shape): KindCost {
  if (inputShape.length !== 1 || inputShape[0] !== s) {
    throw new TnzipError('SHAPE_MISMATCH', `low-rank: input shape must be [${s}], got [${inputShape.join(', ')}]`);
  }
  return { params: r * (s + t) + (bias ? t : 0), factorizedMacs: r * (s + t), denseMacs: s * t, outputShape: [t] };
}

interface LowRankOptions {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rank: number;
  readonly bias: boolean;
  readonly mode?: ExecutionMode;
}

class LowRankLinear extends FactorizedModule {
  readonly kind = 'low-rank-linear';
  readonly options: LowRankOptions;
  readonly u: tf.Variable;
  readonly v: tf.Variable;
  readonly bias: tf.Variable | null;
  mode: ExecutionMode;

  constructor(name: string, options: LowRankOptions) {
    super(name);
    this.options = options;
    this.mode = options.mode ?? 'factorized';
    const param = (key: string, t: tf.Tensor): tf.Variable => {
      const p = this.addParam(key, t);
      t.dispose();
      return p;
    };
    this.u = param('u', tf.zeros([options.inFeatures, options.rank]));
    this.v = param('v', tf.zeros([options.rank, options.outFeatures]));
    this.bias = options.bias ? param('bias', tf.zeros([options.outFeatures])) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const y =
      this.effectiveMode([this.options.inFeatures]) === 'factorized'
        ? tf.matMul(tf.matMul(x as tf.Tensor2D, this.u as tf.Tensor2D), this.v as tf.Tensor2D)
        : tf.matMul(x as tf.Tensor2D, tf.matMul(this.u as tf.Tensor2D, this.v as tf.Tensor2D));
    return this.bias === null ? y : tf.add(y, this.bias);
  }

  protected kindCost(inputShape: Shape): KindCost {
    const o = this.options;
    return lowRankCost(o.inFeatures, o.outFeatures, o.rank, o.bias, inputShape);
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, ...this.options, mode: this.mode };
  }
}

registerModule('low-rank-linear', (c) => new LowRankLinear(c.name, c as unknown as LowRankOptions));

const lowRankKind: FactorizedKind<LowRankPlan> = {
  planKind: 'low-rank',
  moduleKinds: ['low-rank-linear'],
  appliesTo: (layer) => layer instanceof Linear,
  validate(layer, plan) {
    const l = layer as Linear;
    checkRank(plan.rank, Math.min(l.inFeatures, l.outFeatures), 'plan.rank');
  },
  cost(layer, plan, inputShape, { mode }): Cost {
    const l = layer as Linear;
    return costInMode(mode, lowRankCost(l.inFeatures, l.outFeatures, plan.rank, l.bias !== null, inputShape));
  },
  fromDense(layer, plan, { mode }) {
    const l = layer as Linear;
    // Truncated SVD W ≈ (U·√Σ)(√Σ·Vᵀ): exact at full rank.
    const d = svd64(asMatrix(fromTf(l.weight, 'weight'), 'weight'), { rank: plan.rank });
    const r = plan.rank;
    const u = new Float32Array(l.inFeatures * r);
    const v = new Float32Array(r * l.outFeatures);
    for (let k = 0; k < r; k++) {
      const root = Math.sqrt(d.s[k] as number);
      for (let i = 0; i < l.inFeatures; i++) u[i * r + k] = (d.u.data[i * r + k] as number) * root;
      for (let j = 0; j < l.outFeatures; j++) v[k * l.outFeatures + j] = (d.v.data[j * r + k] as number) * root;
    }
    const out = new LowRankLinear(l.name, {
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      rank: r,
      bias: l.bias !== null,
      mode,
    });
    tf.tidy(() => {
      out.u.assign(tf.tensor2d(u, [l.inFeatures, r]));
      out.v.assign(tf.tensor2d(v, [r, l.outFeatures]));
      if (out.bias !== null && l.bias !== null) out.bias.assign(l.bias);
    });
    return out;
  },
};

registerFactorizedKind(lowRankKind);

registerRankSpace({
  format: 'low-rank',
  appliesTo: (c) => c.layer instanceof Linear,
  space(c): LayerSpace {
    const l = c.layer as Linear;
    const plan = (r: readonly number[]): LowRankPlan => ({ kind: 'low-rank', rank: r[0] as number });
    return {
      ...c,
      format: 'low-rank',
      key: 'low-rank',
      modes: ['R'],
      bounds: [Math.min(l.inFeatures, l.outFeatures)],
      unfoldingShapes: [[l.inFeatures, l.outFeatures]],
      plan,
      cost: (r) => planCost(l, plan(r), c.inputShape),
      ranksOf: (p) => [(p as LowRankPlan).rank],
      unfolding: () => {
        const w = fromTf(l.weight, 'weight');
        return { rows: l.inFeatures, cols: l.outFeatures, data: w.data };
      },
    };
  },
});

function net(): Sequential {
  return new Sequential('net', [
    new Linear('fc1', { inFeatures: 16, outFeatures: 12, seed: 1 }),
    new ReLU('r'),
    new Linear('fc2', { inFeatures: 12, outFeatures: 5, seed: 2 }),
  ]);
}

function input(): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(new Rng(9).normals(3 * 16)), [3, 16]);
}

describeBackends('a factorized kind defined in one file', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-kind-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('plans through a selector, costs through planCost, factorizes and round-trips a model file', async () => {
    const model = net();
    const { plan, report } = await uniformSelector({ format: 'low-rank' }).select(
      model,
      { metric: 'params', target: 0.5 },
      { inputShape: [16] },
    );
    const p1 = plan.fc1 as LowRankPlan;
    const p2 = plan.fc2 as LowRankPlan;
    expect(p1.kind).toBe('low-rank');
    expect(p2.kind).toBe('low-rank');
    // Within budget: R·(S + T) + T per layer against the dense (S·T + T).
    const params = p1.rank * 28 + 12 + p2.rank * 17 + 5;
    expect(params).toBeLessThanOrEqual(0.5 * (16 * 12 + 12 + 12 * 5 + 5));
    expect(report.details?.format).toBe('low-rank');

    const fc1 = model.namedModules().find(([p]) => p === 'fc1')?.[1] as Linear;
    const planned = planCost(fc1, p1, [16]);
    expect(planned).toEqual({ params: p1.rank * 28 + 12, macs: p1.rank * 28, outputShape: [12] });
    expect(() => planCost(fc1, { kind: 'low-rank', rank: 13 }, [16])).toThrow(/plan.rank/);

    factorize(model, plan);
    const built = model.namedModules().find(([p]) => p === 'fc1')?.[1] as LowRankLinear;
    expect(built).toBeInstanceOf(LowRankLinear);
    expect(built.cost([16])).toEqual(planned);

    const dir = path.join(root, 'low-rank');
    await save(model, dir, { plan, inputShape: [16] });
    const loaded = await load(dir);
    expect(loaded.plan).toEqual(plan);
    expect(loaded.model.config()).toEqual(model.config());
    const x = input();
    const [y, y2] = [model.apply(x), loaded.model.apply(x)];
    expect(Array.from(await y2.data())).toEqual(Array.from(await y.data()));
    tf.dispose([x, y, y2]);
    loaded.model.dispose();
    model.dispose();
  });

  it('is exact at full rank, in both executions', async () => {
    const dense = net();
    const x = input();
    const y = dense.apply(x);
    for (const mode of ['factorized', 'reconstructed'] as const) {
      const full = factorize(
        net(),
        { fc1: { kind: 'low-rank', rank: 12 }, fc2: { kind: 'low-rank', rank: 5 } },
        {
          mode,
        },
      );
      const yf = full.apply(x);
      const a = await y.data();
      const b = await yf.data();
      const scale = Math.max(...Array.from(a, Math.abs));
      a.forEach((v, i) => {
        expect(Math.abs(v - (b[i] as number))).toBeLessThan(1e-5 * scale);
      });
      yf.dispose();
      full.dispose();
    }
    tf.dispose([x, y]);
    dense.dispose();
  });
});
