import * as tf from '@tensorflow/tfjs-core';
import { Rng, svd64, tuckerToTensor64 } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { cacheOnCpu } from '../cache-on-cpu.js';
import { load } from '../io/load.js';
import { saveToMemory } from '../io/save.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import { AdaTuckerLayer } from './ada-tucker.js';
import { factorize } from './factorize.js';
import { checkGradients, probes, randomTensor, relError, run } from './helpers.test-util.js';
import { linkSharedCores } from './shared-core.js';

describeBackends('AdaTuckerLayer / SharedCore', (backend) => {
  it('full ranks reproduce a conv and a linear layer (exact and padded reshapes)', async () => {
    const c = new Conv2d('c', { inChannels: 3, outChannels: 4, kernelSize: 3, padding: 'same', seed: 1 });
    const l = new Linear('l', { inFeatures: 10, outFeatures: 7, seed: 2 });
    const xc = randomTensor([2, 5, 5, 3], 1);
    const xl = randomTensor([3, 10], 2);
    // 108 = 3·4·9; 70 padded to 72 = 2·4·9.
    for (const [layer, x, dims] of [
      [c, xc, [3, 4, 9]],
      [l, xl, [2, 4, 9]],
    ] as const) {
      await cacheOnCpu(layer);
      const f = AdaTuckerLayer.fromDense(layer, { kind: 'ada-tucker', dims: [...dims], ranks: [...dims] });
      const a = run(f, x);
      const b = run(layer, x);
      expect(await relError(a, b)).toBeLessThan(1e-4);
      const d = f.toDense();
      const e = run(d, x);
      expect(await relError(a, e)).toBeLessThan(1e-5);
      tf.dispose([a, b, e]);
      d.dispose();
      f.dispose();
    }
    tf.dispose([xc, xl]);
    c.dispose();
    l.dispose();
  });

  it('rejects ranks above dims and dims too small', () => {
    const l = new Linear('l', { inFeatures: 10, outFeatures: 7 });
    expect(() => AdaTuckerLayer.fromDense(l, { kind: 'ada-tucker', dims: [2, 5, 7], ranks: [2, 6, 2] })).toThrow(
      /plan\.ranks\[1\] must be an integer in \[1, 5\]/,
    );
    expect(() => AdaTuckerLayer.fromDense(l, { kind: 'ada-tucker', dims: [2, 5, 6], ranks: [2, 2, 2] })).toThrow(
      /must be >= 70/,
    );
    l.dispose();
  });

  it('cache: inference reuses the rebuilt weight, assignments and training passes refresh it', async () => {
    const f = new AdaTuckerLayer('a', {
      target: { type: 'linear', inFeatures: 6, outFeatures: 4 },
      dims: [2, 3, 4],
      ranks: [2, 2, 2],
      seed: 3,
    });
    const x = randomTensor([2, 6], 5);
    const y0 = run(f, x);
    const cached = (await f.weightCache.data()).slice();
    const n = tf.memory().numTensors;
    const y1 = run(f, x);
    expect(tf.memory().numTensors).toBe(n + 1);
    expect(await relError(y1, y0)).toBe(0);
    tf.tidy(() => (f.factors[0] as tf.Variable).assign(tf.mul(f.factors[0] as tf.Variable, 2)));
    const y2 = run(f, x);
    expect(await relError(y2, tf.mul(y0, 2))).toBeLessThan(1e-6);
    expect(await f.weightCache.data()).not.toEqual(cached);
    tf.dispose([x, y0, y1, y2]);
    f.dispose();
  });

  it('random init has He scale', async () => {
    const f = new AdaTuckerLayer('a', {
      target: { type: 'linear', inFeatures: 256, outFeatures: 64 },
      dims: [16, 16, 64],
      ranks: [8, 8, 8],
      seed: 1,
    });
    const w = f.weight();
    const ms = tf.tidy(() => tf.mean(tf.square(w)));
    const std = Math.sqrt((await ms.data())[0] as number);
    ms.dispose();
    expect(std / Math.sqrt(2 / 256)).toBeCloseTo(1, 5);
    w.dispose();
    f.dispose();
  });

  it('gradients match finite differences (ADA and SCADA)', async () => {
    const f = new AdaTuckerLayer('a', {
      target: {
        type: 'conv2d',
        inChannels: 2,
        outChannels: 3,
        kernelSize: [3, 3],
        stride: [1, 1],
        padding: 'same',
        dilation: [1, 1],
      },
      dims: [6, 9],
      ranks: [3, 4],
      seed: 3,
    });
    const x = randomTensor([2, 4, 4, 2], 1);
    await checkGradients(f, x, probes(backend));
    f.dispose();
    const model = new Sequential('m', [
      new Linear('l1', { inFeatures: 6, outFeatures: 4, seed: 1 }),
      new Linear('l2', { inFeatures: 4, outFeatures: 6, seed: 2 }),
    ]);
    await cacheOnCpu(model);
    factorize(model, {
      l1: { kind: 'scada-tucker', dims: [4, 6], ranks: [2, 3], group: 'g' },
      l2: { kind: 'scada-tucker', dims: [6, 4], ranks: [2, 3], group: 'g' },
    });
    const xl = randomTensor([3, 6], 2);
    await checkGradients(model, xl, probes(backend));
    tf.dispose([x, xl]);
    model.dispose();
  });

  it('SCADA: one core variable, owned by the first layer, counted once; single-layer group is exact', async () => {
    const model = new Sequential('m', [
      new Linear('l1', { inFeatures: 12, outFeatures: 8, seed: 1 }),
      new Linear('l2', { inFeatures: 8, outFeatures: 12, seed: 2 }),
      new Linear('l3', { inFeatures: 12, outFeatures: 6, seed: 3 }),
    ]);
    const x = randomTensor([2, 12], 4);
    const ref = run(model, x);
    await cacheOnCpu(model);
    factorize(model, {
      l1: { kind: 'scada-tucker', dims: [8, 12], ranks: [4, 4], group: 'g' },
      l2: { kind: 'scada-tucker', dims: [12, 8], ranks: [4, 4], group: 'g' },
      l3: { kind: 'scada-tucker', dims: [6, 12], ranks: [6, 12], group: 'solo' },
    });
    const names = model.namedParameters().map(([p]) => p);
    expect(names.filter((p) => p.endsWith('core'))).toEqual(['l1.sharedCore.core', 'l3.sharedCore.core']);
    const [l1, l2] = model.children() as AdaTuckerLayer[];
    expect((l2 as AdaTuckerLayer).core).toBe((l1 as AdaTuckerLayer).core);
    const params = model.namedParameters().reduce((a, [, v]) => a + v.size, 0);
    expect(model.cost([12]).params).toBe(params);
    // l1: 16 + 8·4 + 12·4 + 1 + 8; l2: 12·4 + 8·4 + 1 + 12; l3: 72 + 36 + 144 + 1 + 6
    expect(params).toBe(16 + 32 + 48 + 1 + 8 + (48 + 32 + 1 + 12) + (72 + 36 + 144 + 1 + 6));
    // The solo group at full ranks reproduces l3 exactly: feed l3 alone.
    const l3 = model.children()[2] as AdaTuckerLayer;
    const h = randomTensor([2, 12], 9);
    const dense3 = new Linear('l3', { inFeatures: 12, outFeatures: 6, seed: 3 });
    const a = run(l3, h);
    const b = run(dense3, h);
    expect(await relError(a, b)).toBeLessThan(1e-4);
    tf.dispose([x, ref, h, a, b]);
    dense3.dispose();
    model.dispose();
  });

  it("from pretrained weights: a SCADA group fits one core to all its layers; 'decompose-norm' keeps each weight's norm", async () => {
    // Two dense layers whose weights share one Tucker core exactly (different factors, dims, scales).
    const rng = new Rng(5);
    const gauss = (shape: number[]) => ({
      shape,
      data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    });
    const ranks = [2, 3, 3];
    const core = gauss(ranks);
    const orth = (m: number, r: number) => svd64({ rows: m, cols: r, data: gauss([m, r]).data }).u;
    const layers = [
      new Linear('l1', { inFeatures: 12, outFeatures: 10 }),
      new Linear('l2', { inFeatures: 10, outFeatures: 6 }),
    ];
    const dims = [
      [4, 5, 6],
      [3, 4, 5],
    ];
    layers.forEach((l, i) => {
      const w = tuckerToTensor64({
        core,
        factors: (dims[i] as number[]).map((m, k) => orth(m, ranks[k] as number)),
        modes: [0, 1, 2],
      });
      l.weight.assign(
        tf.tensor(
          Float32Array.from(w.data, (v) => v * (i === 0 ? 3 : -0.2)),
          l.weight.shape,
        ),
      );
    });
    const model = new Sequential('m', layers);
    await cacheOnCpu(model);
    const dense = await Promise.all(layers.map((l) => l.weight.array()));
    factorize(model, {
      l1: { kind: 'scada-tucker', dims: dims[0] as number[], ranks, group: 'g' },
      l2: { kind: 'scada-tucker', dims: dims[1] as number[], ranks, group: 'g' },
    });
    for (const [i, f] of (model.children() as AdaTuckerLayer[]).entries()) {
      const w = f.weight();
      const ref = tf.tensor(dense[i] as number[][]);
      // Exact shared-core data: reproduced to float32 precision (the old per-layer init was far off).
      expect(await relError(w, ref)).toBeLessThan(1e-4);
      tf.dispose([w, ref]);
    }
    model.dispose();
    // Unrelated weights at truncated ranks, 'decompose-norm': each rebuilt weight keeps its norm.
    const other = new Sequential('o', [
      new Linear('a', { inFeatures: 12, outFeatures: 10, seed: 7 }),
      new Linear('b', { inFeatures: 10, outFeatures: 6, seed: 8 }),
      new Linear('c', { inFeatures: 6, outFeatures: 6, seed: 9 }),
    ]);
    await cacheOnCpu(other);
    const norms = await Promise.all((other.children() as Linear[]).map((l) => tf.norm(l.weight).data()));
    factorize(
      other,
      {
        a: { kind: 'scada-tucker', dims: dims[0] as number[], ranks, group: 'g' },
        b: { kind: 'scada-tucker', dims: dims[1] as number[], ranks, group: 'g' },
        c: { kind: 'ada-tucker', dims: [2, 3, 6], ranks: [2, 2, 2] },
      },
      { adaInit: 'decompose-norm' },
    );
    for (const [i, f] of (other.children() as AdaTuckerLayer[]).entries()) {
      const n = tf.tidy(() => tf.norm(f.weight()));
      expect(((await n.data())[0] as number) / ((norms[i] as Float32Array)[0] as number)).toBeCloseTo(1, 4);
      n.dispose();
    }
    other.dispose();
  });

  it('an unbound follower and a group without owner are errors', () => {
    const f = new AdaTuckerLayer('a', {
      target: { type: 'linear', inFeatures: 4, outFeatures: 4 },
      dims: [4, 4],
      ranks: [2, 2],
      group: 'g',
      ownsCore: false,
    });
    const x = randomTensor([1, 4], 1);
    expect(() => run(f, x)).toThrow(/linkSharedCores/);
    const m = new Sequential('m', [f]);
    expect(() => linkSharedCores(m)).toThrow(/no owner/);
    x.dispose();
    m.dispose();
  });

  it('order 8 (no order cap): exact at full ranks, and Adam steps give the cpu result (ADA and SCADA)', async () => {
    // 256 = 2^8: an order-8 reshape. On wasm a 7-D+ tensor anywhere in the forward pass, the
    // gradients or the optimizer's update would return garbage (the reason for the old cap of 6).
    const dims = new Array<number>(8).fill(2);
    const dense = new Linear('l', { inFeatures: 16, outFeatures: 16, seed: 4 });
    await cacheOnCpu(dense);
    const x = randomTensor([3, 16], 7);
    const full = AdaTuckerLayer.fromDense(dense, { kind: 'ada-tucker', dims, ranks: dims });
    expect(full.core.shape).toEqual([2, 128]);
    const a = run(full, x);
    const b = run(dense, x);
    expect(await relError(a, b)).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    full.dispose();
    dense.dispose();
    const ranks = [2, 2, 1, 2, 2, 1, 2, 2];
    const train = async (on: string, group: string | null): Promise<Float32Array[]> => {
      await tf.setBackend(on);
      const f = new AdaTuckerLayer('a', {
        target: { type: 'linear', inFeatures: 16, outFeatures: 16 },
        dims,
        ranks,
        group,
        ownsCore: group !== null,
        seed: 5,
      });
      const xs = randomTensor([4, 16], 8);
      const opt = tf.train.adam(1e-2);
      for (let i = 0; i < 3; i++)
        opt.minimize(() => tf.mean(tf.square(tf.sub(f.apply(xs, { training: true }), 1))) as tf.Scalar, false);
      const w = f.weight();
      const out = [
        await w.data(),
        ...(await Promise.all(f.namedParameters().map(([, p]) => p.data()))),
      ] as Float32Array[];
      tf.dispose([w, xs]);
      opt.dispose();
      f.dispose();
      return out;
    };
    for (const group of [null, 'g']) {
      const ref = await train('cpu', group);
      const got = await train(backend, group);
      got.forEach((g, i) => {
        const r = ref[i] as Float32Array;
        let num = 0;
        let den = 0;
        for (let j = 0; j < r.length; j++) {
          num += ((g[j] as number) - (r[j] as number)) ** 2;
          den += (r[j] as number) ** 2;
        }
        // float32 on both sides, three Adam steps: agreement to float32 rounding, far from garbage.
        expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
      });
    }
    await tf.setBackend(backend);
    x.dispose();
  });

  it('an order-8 ADA + SCADA model saves and loads (the core as its unfolding) with the same output', async () => {
    const dims = new Array<number>(8).fill(2);
    const ranks = [2, 1, 2, 2, 1, 2, 2, 2];
    const model = new Sequential('m', [
      new Linear('l1', { inFeatures: 16, outFeatures: 16, seed: 1 }),
      new Linear('l2', { inFeatures: 16, outFeatures: 16, seed: 2 }),
      new Linear('l3', { inFeatures: 16, outFeatures: 16, seed: 3 }),
    ]);
    await cacheOnCpu(model);
    factorize(model, {
      l1: { kind: 'ada-tucker', dims, ranks },
      l2: { kind: 'scada-tucker', dims, ranks, group: 'g' },
      l3: { kind: 'scada-tucker', dims, ranks, group: 'g' },
    });
    const x = randomTensor([2, 16], 3);
    const y = model.apply(x);
    const loaded = await load(tf.io.fromMemory(await saveToMemory(model)));
    const z = loaded.model.apply(x);
    expect(await relError(z, y)).toBeLessThan(1e-6);
    tf.dispose([x, y, z]);
    loaded.model.dispose();
    model.dispose();
  });

  it('no tensor leak over training steps', () => {
    const f = new AdaTuckerLayer('a', {
      target: {
        type: 'conv2d',
        inChannels: 3,
        outChannels: 4,
        kernelSize: [3, 3],
        stride: [1, 1],
        padding: 'same',
        dilation: [1, 1],
      },
      dims: [6, 6, 3],
      ranks: [3, 3, 2],
    });
    const x = randomTensor([2, 5, 5, 3], 2);
    run(f, x).dispose();
    expectNoLeak(() => run(f, x));
    const opt = tf.train.adam(1e-2);
    const step = (): void => {
      opt.minimize(() => tf.mean(tf.square(f.apply(x, { training: true }))) as tf.Scalar, false);
      run(f, x).dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    x.dispose();
    f.dispose();
  });
});

describe('factorize', () => {
  it('replaces layers by path and rejects unknown paths and kinds', async () => {
    await tf.setBackend('cpu');
    const model = new Sequential('m', [
      new Conv2d('conv', { inChannels: 3, outChannels: 4, kernelSize: 3 }),
      new Linear('fc', { inFeatures: 4, outFeatures: 2 }),
    ]);
    expect(() => factorize(model, { nope: { kind: 'cp', rank: 2 } })).toThrow(/no module at path 'nope'/);
    expect(() => factorize(model, { fc: { kind: 'cp', rank: 2 } })).toThrow(/does not apply/);
    expect(() =>
      factorize(model, {
        conv: { kind: 'tucker2', rankS: 2, rankT: 2 },
        fc: { kind: 'tt', rowDims: [2], colDims: [4], ranks: [3] },
      }),
    ).toThrow(/INVALID_RANK|internal TT ranks/);
    expect(model.children()[0]?.kind).toBe('conv2d');
    factorize(model, {
      conv: { kind: 'tucker', ranks: [3, 3, 2, 2] },
      fc: { kind: 'tt', rowDims: [2, 1], colDims: [2, 2], ranks: [2] },
    });
    expect(model.children().map((c) => c.kind)).toEqual(['tucker2-conv2d', 'tt-linear']);
    model.dispose();
  });
});
