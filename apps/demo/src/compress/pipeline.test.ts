import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { factorize } from '@tnzip/layers';
import { energySelector } from '@tnzip/ranks';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { predict } from '../predict.js';
import { IMAGE_SIZE, normalizePixels } from '../preprocess.js';
import { layersModelFiles } from './export-files.js';
import { finetune } from './finetune.js';
import { layerInfos } from './layer-info.js';
import { makeSelectors } from './methods.js';
import { freshModel } from './model-source.js';

const publicDir = join(import.meta.dirname, '..', '..', 'public');
const bundled = { kind: 'bundled', name: 'dense', url: join(publicDir, 'models', 'dense') } as const;

function samples(n: number): { x: Float32Array; labels: number[] } {
  const pixels = new Uint8Array(readFileSync(join(publicDir, 'samples', 'mnist-test-100.bin'))).slice(
    0,
    n * IMAGE_SIZE,
  );
  const meta = JSON.parse(readFileSync(join(publicDir, 'samples', 'mnist-test-100.json'), 'utf8')) as {
    labels: number[];
  };
  return { x: normalizePixels(pixels), labels: meta.labels.slice(0, n) };
}

describeBackends("the compress view's worker pipeline on the bundled dense LeNet-5", () => {
  it('lists the four conv/linear layers with their dense cost and full, descending spectra', async () => {
    const m = await freshModel(bundled);
    try {
      const infos = layerInfos(m.model, m.inputShape);
      expect(infos.map((l) => [l.path, l.kind, l.params])).toEqual([
        ['conv1', 'conv2d', 520],
        ['conv2', 'conv2d', 25_050],
        ['fc1', 'linear', 400_500],
        ['fc2', 'linear', 5_010],
      ]);
      // fc1's matrix W is 800×500: 500 singular values; conv2's Tucker-2 unfoldings: S = 20, T = 50.
      expect(infos[2]?.spectra.map((s) => s.values.length)).toEqual([500]);
      expect(infos[1]?.spectra.map((s) => s.values.length)).toEqual([20, 50]);
      for (const l of infos)
        for (const s of l.spectra)
          expect(s.values.every((v, i) => i === 0 || v <= (s.values[i - 1] as number))).toBe(true);
    } finally {
      m.model.dispose();
    }
  });

  it('factorizes a plan, fine-tunes without leaking, and exports files stock tf.loadLayersModel predicts alike', async () => {
    const m = await freshModel(bundled);
    const { x, labels } = samples(20);
    try {
      const { plan } = await energySelector().select(
        m.model,
        { metric: 'params', target: 0.25 },
        { inputShape: [28, 28, 1] },
      );
      for (const [path, lp] of Object.entries(plan))
        if (lp.kind !== 'dense') factorize(m.model, { [path]: lp }, { seed: 0 });
      const xt = tf.tensor4d(x, [20, 28, 28, 1]);
      const yt = tf.tensor1d(labels, 'int32');
      const losses: number[] = [];
      await expectNoLeakAsync(() => finetune(m.model, xt, yt, { steps: 6, onStep: (_k, loss) => losses.push(loss) }));
      tf.dispose([xt, yt]);
      expect(losses).toHaveLength(6);
      expect(losses.every(Number.isFinite)).toBe(true);
      // Six Adam steps on the same 20 images: the loss goes down.
      expect(losses[5] as number).toBeLessThan(losses[0] as number);

      const files = await layersModelFiles(m.model, m.inputShape, 'softmax', 'compressed');
      const json = JSON.parse(files.modelJson) as tf.io.ModelJSON;
      expect(json.weightsManifest[0]?.paths).toEqual(['./model.weights.bin']);
      const stock = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0]?.weights,
          weightData: files.weights,
        }),
      );
      const ours = await predict(m.model, x, 20);
      const theirs = tf.tidy(() => stock.predict(tf.tensor4d(x, [20, 28, 28, 1])) as tf.Tensor);
      const p = (await theirs.data()) as Float32Array;
      theirs.dispose();
      stock.dispose();
      let worst = 0;
      for (let i = 0; i < p.length; i++)
        worst = Math.max(worst, Math.abs((p[i] as number) - (ours.probs[i] as number)));
      // float32 through two op chains (factorized layers vs the stock Keras chain): 1e-4 ≈ 1000 ulps of a probability.
      expect(worst).toBeLessThan(1e-4);
    } finally {
      m.model.dispose();
    }
  });
});

describeBackends("the compress view's selectors", () => {
  it('never plan a layer to cost more parameters than its dense weight (the CLI default --dense-fallback metric)', async () => {
    const m = await freshModel(bundled);
    try {
      const selectors = makeSelectors();
      for (const name of ['energy', 'vbmf', 'greedy'] as const)
        for (const target of [0.5, 0.25, 0.1]) {
          const budget = { metric: 'params', target } as const;
          const { report } = await selectors[name].select(m.model, budget, { inputShape: [28, 28, 1] });
          for (const l of report.layers)
            expect(l.params, `${name} at ${target}: ${l.layer}`).toBeLessThanOrEqual(l.denseParams);
        }
    } finally {
      m.model.dispose();
    }
  });
});
