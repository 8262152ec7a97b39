/**
 * Shared setup of the BATUDE and LWIQ LeNet-5 experiments: real MNIST with 5k of the 60k training
 * images held out for validation (seed 0), and the dense LeNet-5 baseline trained with the
 * `@tnzip/train` recipe (`recipes.lenet5`, seed 0; `--dense-epochs N` / `--dense-lr X` override the epochs / learning rate), cached
 * in `experiments/out/lenet5-dense-e<N>/` so both experiments start from the same weights.
 * Choices are made on validation accuracy only; the test set is only reported.
 */
import { existsSync, mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { type Dataset, mnist, type Split, validationSplit } from '@tnzip/data';
import { load, type Module, save } from '@tnzip/layers';
import { evaluate, recipes, train } from '@tnzip/train';
import { lenet5 } from '@tnzip/zoo';

export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export interface Setup {
  readonly ds: Dataset;
  readonly data: { train: Split; val: Split };
  readonly denseEpochs: number;
  readonly denseLr: number;
  readonly dense: { valAcc: number; testAcc: number; seconds: number; cached: boolean };
  /** A fresh copy of the trained dense LeNet-5. */
  fresh(): Promise<Module>;
  acc(m: Module): { valAcc: number; testAcc: number };
}

export async function setup(): Promise<Setup> {
  await tf.setBackend('wasm');
  await tf.ready();
  const ds = mnist();
  const { train: tr, val } = validationSplit(ds.train, 5000 / 60000, 0);
  const data = { train: tr, val };
  const recipe = recipes.lenet5;
  const denseEpochs = Number(flag('dense-epochs', String(recipe.options.epochs)));
  const denseLr = Number(flag('dense-lr', String(recipe.options.lr)));
  const dir = new URL(`./out/lenet5-dense-e${denseEpochs}-lr${denseLr}`, import.meta.url).pathname;
  const normalize = ds.normalization;
  const acc = (m: Module) => ({
    valAcc: evaluate(m, val, { normalize }).top1,
    testAcc: evaluate(m, ds.test, { normalize }).top1,
  });
  let seconds = 0;
  const cached = existsSync(`${dir}/model.json`);
  if (!cached) {
    const t0 = Date.now();
    const m = lenet5({ seed: 0 });
    await train(m, data, { ...recipe.options, epochs: denseEpochs, lr: denseLr, normalize, logEvery: 0 });
    seconds = (Date.now() - t0) / 1000;
    mkdirSync(dir, { recursive: true });
    await save(m, dir, { inputShape: [28, 28, 1], meta: { recipe: 'lenet5', epochs: denseEpochs, seconds } });
    m.dispose();
  }
  const fresh = async (): Promise<Module> => (await load(dir)).model;
  const d = await fresh();
  const dense = { ...acc(d), seconds, cached };
  d.dispose();
  return { ds, data, denseEpochs, denseLr, dense, fresh, acc };
}

if (process.argv[1]?.endsWith('batude-lwiq-common.ts')) {
  const s = await setup();
  console.log(JSON.stringify({ denseEpochs: s.denseEpochs, denseLr: s.denseLr, ...s.dense }));
}
