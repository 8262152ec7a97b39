import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { beforeAll, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { cifarResNet } from '../testing-models.js';
import { exportLayersModel, formatExportReport } from './export-model.js';
import { artifactsOf, CNN_TRAIN_IMAGES, cnn, mlp, mnistBatch, relErr, trainBriefly } from './fixtures.test-util.js';
import { importLayersModel } from './import-model.js';

let fixtures: Promise<{ cnn: tf.io.ModelArtifacts; mlp: tf.io.ModelArtifacts }> | null = null;
function getFixtures(): Promise<{ cnn: tf.io.ModelArtifacts; mlp: tf.io.ModelArtifacts }> {
  fixtures ??= (async () => {
    const a = cnn();
    const b = mlp();
    await trainBriefly(a, CNN_TRAIN_IMAGES);
    await trainBriefly(b, 512);
    const out = { cnn: await artifactsOf(a), mlp: await artifactsOf(b) };
    a.dispose();
    b.dispose();
    return out;
  })();
  return fixtures;
}

/** Relative error between tnzip's (compressed) model, softmax kept, and stock tfjs-layers loading the export. */
async function roundTrip(
  model: Module,
  x: tf.Tensor,
  softmax: boolean,
  options = {},
): Promise<{ err: number; report: string; classes: string[] }> {
  const { artifacts, report } = await exportLayersModel(model, options);
  const json = JSON.parse(JSON.stringify(artifacts.modelTopology)) as {
    config: { layers: Array<{ class_name: string }> };
  };
  const stock = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const ours = tf.tidy(() => (softmax ? tf.softmax(model.apply(x)) : model.apply(x)));
  const theirs = stock.predict(x) as tf.Tensor;
  const err = relErr(await ours.data(), await theirs.data());
  tf.dispose([ours, theirs]);
  stock.dispose();
  return { err, report: formatExportReport(report), classes: json.config.layers.map((l) => l.class_name) };
}

describeBackends('exportLayersModel', () => {
  let fx: { cnn: tf.io.ModelArtifacts; mlp: tf.io.ModelArtifacts };
  let x: tf.Tensor4D;
  beforeAll(async () => {
    fx = await getFixtures();
    const b = mnistBatch(32);
    x = b.x;
    b.y.dispose();
  }, 240_000);

  const convPlans: Record<string, FactorizationPlan> = {
    tucker2: { conv2: { kind: 'tucker2', rankS: 4, rankT: 5 }, conv3: { kind: 'tucker2', rankS: null, rankT: 6 } },
    cp: { conv2: { kind: 'cp', rank: 6 }, conv3: { kind: 'cp', rank: 5 } },
    tt: {
      conv3: { kind: 'tt', colDims: [2, 4], rowDims: [4, 4], ranks: [2, 4, 4, 3] },
      fc: { kind: 'tt', colDims: [4, 4], rowDims: [2, 5], ranks: [3] },
    },
  };
  for (const [method, plan] of Object.entries(convPlans)) {
    it(`${method}: stock tfjs-layers loads the export of the compressed CNN and predicts what tnzip predicts (< 1e-5)`, async () => {
      const { model } = await importLayersModel(fx.cnn);
      factorize(model, plan);
      const { err, classes } = await roundTrip(model, x, true);
      expect(err).toBeLessThan(1e-5);
      expect(classes.at(-1)).toBe('Activation');
      if (method === 'cp') expect(classes).toContain('DepthwiseConv2D');
      model.dispose();
    });
  }

  it('ada-tucker / scada-tucker: written as the reconstructed dense weight, reported, < 1e-4', async () => {
    const { model } = await importLayersModel(fx.cnn);
    factorize(model, {
      conv3: { kind: 'ada-tucker', dims: [8, 9, 16], ranks: [4, 5, 8] },
      conv2: { kind: 'scada-tucker', dims: [8, 9, 8], ranks: [4, 5, 4], group: 'g' },
    });
    const { err, report } = await roundTrip(model, x, true);
    expect(err).toBeLessThan(1e-4);
    expect(report).toMatch(/conv3 \(ada-tucker\): no stock factorized form, written as its dense weight/);
    expect(report).toMatch(/conv2 \(ada-tucker\): no stock factorized form/);
    model.dispose();
  });

  it('TT linear of 2 and 3 cores (MLP): Dense/Reshape/Permute chains, < 1e-5', async () => {
    const { model } = await importLayersModel(fx.mlp);
    factorize(model, {
      hidden: { kind: 'tt', colDims: [28, 28], rowDims: [4, 8], ranks: [6] },
      out: { kind: 'tt', colDims: [2, 4, 4], rowDims: [1, 2, 5], ranks: [2, 3] },
    });
    const { err, classes } = await roundTrip(model, x, true);
    expect(err).toBeLessThan(1e-5);
    expect(classes.filter((c) => c === 'Dense')).toHaveLength(5);
    model.dispose();
  });

  it('low-rank linear (TT rowDims [1, T], colDims [S, 1]): two Dense, < 1e-5', async () => {
    const { model } = await importLayersModel(fx.mlp);
    factorize(model, { hidden: { kind: 'tt', rowDims: [1, 32], colDims: [784, 1], ranks: [8] } });
    const { err, classes } = await roundTrip(model, x, true);
    expect(err).toBeLessThan(1e-5);
    expect(classes.filter((c) => c === 'Dense')).toHaveLength(3);
    model.dispose();
  });

  it('a Sequential ResNet (Residual blocks, channel-pad shortcuts, explicit conv pads) exports exactly', async () => {
    const net = cifarResNet(8);
    const input = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const { err } = await roundTrip(net, input, false, { inputShape: [32, 32, 3] });
    expect(err).toBeLessThan(1e-5);
    input.dispose();
    net.dispose();
  });

  it('uint8 quantization: weights ~4× smaller, predictions close, no tensor leaked', async () => {
    const { model } = await importLayersModel(fx.cnn);
    await expectNoLeakAsync(async () => {
      const full = await exportLayersModel(model);
      const q = await exportLayersModel(model, { quantize: 'uint8' });
      expect(q.artifacts.weightSpecs?.every((s) => s.quantization?.dtype === 'uint8')).toBe(true);
      expect(q.report.weightBytes).toBeLessThan(full.report.weightBytes / 3.5);
    });
    const { err } = await roundTrip(model, x, true, { quantize: 'uint8' });
    expect(err).toBeLessThan(0.05);
    model.dispose();
  });
});

it('the exporter has no Node-only imports (the browser compress view bundles it)', () => {
  const dir = new URL('.', import.meta.url);
  const files = readdirSync(dir).filter(
    (f) => /^(export-.*|quantize|weights-manifest)\.ts$/.test(f) && !f.endsWith('.test.ts'),
  );
  expect(files.length).toBeGreaterThan(6);
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    expect(src, f).not.toMatch(/from '(node:|fs|path)|node-files|node-fs/);
  }
});
