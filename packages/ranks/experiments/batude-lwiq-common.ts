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
import { layerCosts, load, type Module, save } from '@tnzip/layers';
import { evaluate, type ProgressEvent, recipes, train } from '@tnzip/train';
import { lenet5 } from '@tnzip/zoo';

export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Progress lines on stderr every `every` steps and at epoch ends (the runs take many minutes on 2 shared cores). */
export function progress(tag: string, every = 100): (e: ProgressEvent) => void {
  return (e) => {
    if (e.phase === 'epoch' || e.globalStep % every === 0)
      console.error(
        `[${tag}] ${e.phase} epoch ${e.epoch + 1}/${e.epochs} step ${e.globalStep}/${e.totalSteps} loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)} ${e.imgPerSec.toFixed(0)} img/s eta ${e.etaSeconds.toFixed(0)} s`,
      );
  };
}

/** The four weight layers of LeNet-5 (the whole network's MACs and params are theirs). */
export const WEIGHT_LAYERS = ['conv1', 'conv2', 'fc1', 'fc2'];

/** Whole-network MACs and params (every weight layer, biases included) of `m`. */
export function wholeCost(m: Module, inputShape: readonly number[]): { macs: number; params: number } {
  let macs = 0;
  let params = 0;
  for (const [p, c] of layerCosts(m, [...inputShape]).layers)
    if (WEIGHT_LAYERS.includes(p)) {
      macs += c.cost.macs;
      params += c.cost.params;
    }
  return { macs, params };
}

/**
 * The budget target (a fraction of the compressed layers' dense MACs) for which the WHOLE network
 * keeps at most `1/factor` of its dense MACs: `(whole/factor − uncompressed) / compressed`.
 */
export function wholeMacsTarget(
  m: Module,
  inputShape: readonly number[],
  compress: readonly string[],
  factor: number,
): { target: number; whole: number; compressible: number } {
  let whole = 0;
  let comp = 0;
  for (const [p, c] of layerCosts(m, [...inputShape]).layers) {
    if (!WEIGHT_LAYERS.includes(p)) continue;
    whole += c.cost.macs;
    if (compress.includes(p)) comp += c.cost.macs;
  }
  return { target: (whole / factor - (whole - comp)) / comp, whole, compressible: comp };
}

export interface Setup {
  readonly ds: Dataset;
  readonly data: { train: Split; val: Split };
  readonly denseEpochs: number;
  readonly denseLr: number;
  readonly dense: { valAcc: number; testAcc: number; seconds: number; cached: boolean };
  /** A fresh copy of the trained dense LeNet-5. */
  fresh(): Promise<Module>;
  acc(m: Module): Promise<{ valAcc: number; testAcc: number }>;
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
  const acc = async (m: Module) => ({
    valAcc: (await evaluate(m, val, { normalize })).top1,
    testAcc: (await evaluate(m, ds.test, { normalize })).top1,
  });
  let seconds = 0;
  const cached = existsSync(`${dir}/model.json`);
  if (!cached) {
    const t0 = Date.now();
    const m = lenet5({ seed: 0 });
    await train(m, data, {
      ...recipe.options,
      epochs: denseEpochs,
      lr: denseLr,
      normalize,
      logEvery: 0,
      onProgress: progress('dense'),
    });
    seconds = (Date.now() - t0) / 1000;
    mkdirSync(dir, { recursive: true });
    await save(m, dir, { inputShape: [28, 28, 1], meta: { recipe: 'lenet5', epochs: denseEpochs, seconds } });
    m.dispose();
  }
  const fresh = async (): Promise<Module> => (await load(dir)).model;
  const d = await fresh();
  const dense = { ...(await acc(d)), seconds, cached };
  d.dispose();
  return { ds, data, denseEpochs, denseLr, dense, fresh, acc };
}

if (process.argv[1]?.endsWith('batude-lwiq-common.ts')) {
  const s = await setup();
  console.log(JSON.stringify({ denseEpochs: s.denseEpochs, denseLr: s.denseLr, ...s.dense }));
}
