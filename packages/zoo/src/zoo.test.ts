import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { countParams, load, type Module, save } from '@tnzip/layers';
import { isTnzipError, Rng, type TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressibleLayers } from './compressible-layers.js';
import { createModel, MODEL_NAMES, modelInputShape } from './create-model.js';
import { lenet5, lenet300 } from './lenet.js';
import { resnet } from './resnet.js';
import { resnet18 } from './resnet18.js';

/** Published / reference figures: papers.md §5 and shared/bench/README.md (K = 10 unless noted). */
const FIGURES: Record<string, { params: number; macs: number; classes: number }> = {
  lenet300: { params: 266_610, macs: 266_200, classes: 10 },
  lenet5: { params: 431_080, macs: 2_293_000, classes: 10 },
  resnet20: { params: 269_722, macs: 40_551_040, classes: 10 },
  resnet32: { params: 464_154, macs: 68_862_592, classes: 10 },
  resnet56: { params: 853_018, macs: 125_485_696, classes: 10 },
  // torchvision resnet18: 11,689,512 params, "1.8 GFLOPs" (multiply-adds) at 224×224
  resnet18: { params: 11_689_512, macs: 1_814_073_344, classes: 1000 },
  // pytorch-cifar VGG('VGG16'): 14,728,266 params
  vgg16: { params: 14_728_266, macs: 313_201_664, classes: 10 },
};

function randomInput(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

function expectCode(fn: () => unknown, code: string, text?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isTnzipError(e), String(e)).toBe(true);
    expect((e as TnzipError).code).toBe(code);
    if (text !== undefined) expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error(`expected a TnzipError ${code}`);
}

describe('zoo: architecture figures', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of MODEL_NAMES) {
    it(`${name}: params, MACs and output shape match the published figures`, () => {
      const m = createModel(name);
      const c = m.cost(modelInputShape(name));
      const f = FIGURES[name] as { params: number; macs: number; classes: number };
      expect(c.params).toBe(f.params);
      expect(c.macs).toBe(f.macs);
      expect(c.outputShape).toEqual([f.classes]);
      expect(countParams(m)).toBe(f.params);
      m.dispose();
    });
  }

  it('lenet5 and the CIFAR ResNet have the documented layer names', () => {
    const l5 = lenet5();
    expect(l5.namedModules().map(([p]) => p)).toEqual([
      '',
      'conv1',
      'pool1',
      'conv2',
      'pool2',
      'flatten',
      'fc1',
      'relu1',
      'fc2',
    ]);
    const l3 = lenet300();
    expect(l3.namedModules().map(([p]) => p)).toEqual(['', 'flatten', 'fc1', 'relu1', 'fc2', 'relu2', 'fc3']);
    const r = resnet({ depth: 20, shortcut: 'B' });
    const paths = r.namedModules().map(([p]) => p);
    for (const p of [
      'stem.conv',
      'stem.bn',
      'stage1.block0.conv1',
      'stage1.block2.bn2',
      'stage2.block0.shortcut.conv',
      'stage3.block0.shortcut.bn',
      'pool',
      'fc',
    ]) {
      expect(paths).toContain(p);
    }
    const ra = resnet({ depth: 20 });
    expect(ra.namedModules().find(([p]) => p === 'stage2.block0.shortcut')?.[1].kind).toBe('channel-pad-shortcut');
    for (const m of [l5, l3, r, ra]) m.dispose();
  });

  it('option B shortcuts add the 1×1 projections (ResNet-20: +2,752 params, +262,144 MACs)', () => {
    const m = resnet({ depth: 20, shortcut: 'B' });
    const c = m.cost([32, 32, 3]);
    // stage2: 1×1 16→32 at 16×16 (512 weights + 64 BN); stage3: 1×1 32→64 at 8×8 (2,048 + 128)
    expect(c.params - 269_722).toBe(512 + 64 + 2048 + 128);
    expect(c.macs - 40_551_040).toBe(16 * 16 * 512 + 8 * 8 * 2048);
    m.dispose();
  });

  it('createModel: unknown names and bad options give errors naming the valid choices', () => {
    expectCode(
      () => createModel('resnet19'),
      'NOT_FOUND',
      /valid: lenet300, lenet5, resnet20, resnet32, resnet56, resnet18, vgg16/,
    );
    expectCode(() => modelInputShape('alexnet'), 'NOT_FOUND', /lenet5/);
    expectCode(() => resnet({ depth: 44 as 20 }), 'INVALID_ARGUMENT', /depth must be 20, 32 or 56/);
    expectCode(() => resnet({ depth: 20, shortcut: 'C' as 'A' }), 'INVALID_ARGUMENT', /shortcut/);
    expectCode(() => resnet18({ inputShape: [16, 16, 3] }), 'INVALID_ARGUMENT', /H, W >= 32/);
    expectCode(() => lenet5({ seed: -1 }), 'INVALID_ARGUMENT', /seed/);
    expectCode(() => lenet5({ numClasses: 0 }), 'INVALID_ARGUMENT', /numClasses/);
    expect(modelInputShape('resnet18', { inputShape: [64, 48, 1] })).toEqual([64, 48, 1]);
    expect(modelInputShape('lenet300')).toEqual([28, 28, 1]);
  });

  it('compressibleLayers skips the first RGB/grey conv, the classifier and 1×1 shortcut convs by default', () => {
    const l5 = lenet5();
    expect(compressibleLayers(l5)).toEqual(['conv2', 'fc1']);
    expect(compressibleLayers(l5, { includeFirst: true, includeClassifier: true })).toEqual([
      'conv1',
      'conv2',
      'fc1',
      'fc2',
    ]);
    const l3 = lenet300();
    expect(compressibleLayers(l3)).toEqual(['fc1', 'fc2']);
    const rb = resnet({ depth: 20, shortcut: 'B' });
    const layers = compressibleLayers(rb);
    expect(layers).toHaveLength(18);
    expect(layers[0]).toBe('stage1.block0.conv1');
    expect(layers.some((p) => p.includes('shortcut') || p === 'stem.conv' || p === 'fc')).toBe(false);
    expect(compressibleLayers(rb, { includeShortcuts: true })).toContain('stage2.block0.shortcut.conv');
    const r18 = resnet18({ inputShape: [32, 32, 3], numClasses: 10 });
    expect(compressibleLayers(r18)).toHaveLength(16);
    // a first conv with more than 3 input channels is compressible
    const r4 = resnet18({ inputShape: [32, 32, 4], numClasses: 10 });
    expect(compressibleLayers(r4)[0]).toBe('stem.conv');
    for (const m of [l5, l3, rb, r18, r4]) m.dispose();
  });

  it('each model round-trips through save/load bit-exactly', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-zoo-'));
    try {
      for (const name of MODEL_NAMES) {
        const m = createModel(name, {
          seed: 3,
          ...(name === 'resnet18' ? { inputShape: [32, 32, 3], numClasses: 10 } : {}),
        });
        await save(m, path.join(dir, name), { inputShape: modelInputShape(name) });
        const { model } = await load(path.join(dir, name));
        expect(JSON.stringify(model.config())).toBe(JSON.stringify(m.config()));
        const a = m.stateDict();
        const b = model.stateDict();
        expect([...b.keys()]).toEqual([...a.keys()]);
        for (const [k, t] of a)
          expect(
            Buffer.from((b.get(k) as tf.Tensor).dataSync().buffer).equals(Buffer.from(t.dataSync().buffer)),
            k,
          ).toBe(true);
        tf.dispose([...a.values(), ...b.values()]);
        model.dispose();
        m.dispose();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describeBackends('zoo: forward passes', () => {
  const cases: Array<[string, () => Module, number[], number]> = [
    ['lenet300 on images', () => lenet300(), [2, 28, 28, 1], 10],
    ['lenet300 on flat vectors', () => lenet300(), [2, 784], 10],
    ['lenet5', () => lenet5(), [2, 28, 28, 1], 10],
    ['resnet20 (A)', () => resnet({ depth: 20 }), [2, 32, 32, 3], 10],
    ['resnet20 (B)', () => resnet({ depth: 20, shortcut: 'B' }), [2, 32, 32, 3], 10],
    ['resnet18 at 32×32', () => resnet18({ inputShape: [32, 32, 3], numClasses: 7 }), [1, 32, 32, 3], 7],
    ['resnet18 at 40×56×1', () => resnet18({ inputShape: [40, 56, 1], numClasses: 5 }), [1, 40, 56, 1], 5],
  ];
  for (const [label, build, shape, k] of cases) {
    it(`${label}: finite logits of shape [N, ${k}], no leak`, () => {
      const m = build();
      // The first inference caches BatchNorm folded into the conv weights (freed by m.dispose()).
      tf.tidy(() => m.apply(randomInput(shape, 1))).dispose();
      expectNoLeak(() => {
        const x = randomInput(shape, 1);
        const y = m.apply(x);
        expect(y.shape).toEqual([shape[0], k]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        x.dispose();
        return y;
      });
      m.dispose();
    });
  }

  it('seeded: same seed gives identical weights and outputs, another seed differs; He-normal scale', () => {
    const a = lenet5({ seed: 7 });
    const b = lenet5({ seed: 7 });
    const c = lenet5({ seed: 8 });
    const wa = a.namedParameters();
    const wb = b.namedParameters();
    const wc = c.namedParameters();
    wa.forEach(([k, v], i) => {
      expect(Array.from((wb[i] as [string, tf.Variable])[1].dataSync()), k).toEqual(Array.from(v.dataSync()));
    });
    const fc1a = (wa.find(([k]) => k === 'fc1.weight') as [string, tf.Variable])[1].dataSync();
    const fc1c = (wc.find(([k]) => k === 'fc1.weight') as [string, tf.Variable])[1].dataSync();
    expect(fc1a[0]).not.toBe(fc1c[0]);
    // He normal: std = √(2/800); 400,000 draws give a sample std within ~0.2 % of it, 2 % is safe
    const std = Math.sqrt(Array.from(fc1a).reduce((s, v) => s + v * v, 0) / fc1a.length);
    expect(Math.abs(std / Math.sqrt(2 / 800) - 1)).toBeLessThan(0.02);
    expectNoLeak(() => {
      const x = randomInput([2, 28, 28, 1], 2);
      const ya = a.apply(x);
      const yb = b.apply(x);
      expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
      x.dispose();
      return [ya, yb];
    });
    for (const m of [a, b, c]) m.dispose();
  });
});
