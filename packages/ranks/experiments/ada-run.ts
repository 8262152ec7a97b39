/**
 * Shared driver of the ADA/SCADA MNIST experiments (ada-lenet300.ts, ada-lenet5.ts): trains the
 * dense baseline on 55k training images (5k held out for validation), then compresses copies of
 * it with ADA-Tucker and SCADA-Tucker at the given ratios and reports validation and test
 * accuracy. Choices (init) are made on validation accuracy only; the test set is only reported.
 *
 * Flags: --dense-epochs N, --dense-lr X (defaults: the @tnzip/train recipe), --epochs N (fine-tune epochs, default 5),
 * --ratios 233,100,50, --methods ada,scada, --inits decompose,random, --biases exclude|count,
 * --skip method@ratio@init,… (combinations already measured), --out file.json.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { mnist, validationSplit } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { evaluate, recipes, train } from '@tnzip/train';
import { lenet5, lenet300 } from '@tnzip/zoo';
import { compress } from '../src/compress/index.js';
import { ADA_TRAIN_DEFAULTS, adaSelector, scadaSelector, storageRatios } from '../src/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export async function main(name: 'lenet300' | 'lenet5'): Promise<void> {
  await tf.setBackend('wasm');
  const make = name === 'lenet300' ? lenet300 : lenet5;
  const recipe = recipes[name];
  const denseEpochs = Number(flag('dense-epochs', String(recipe.options.epochs)));
  const epochs = Number(flag('epochs', '5'));
  const denseLr = Number(flag('dense-lr', String(recipe.options.lr)));
  const ratios = flag('ratios', name === 'lenet300' ? '233' : '691')
    .split(',')
    .map(Number);
  const methods = flag('methods', 'ada,scada').split(',');
  const inits = flag('inits', 'decompose').split(',') as ('decompose' | 'random')[];
  const biases = flag('biases', 'exclude') as 'exclude' | 'count';
  const out = flag('out', `experiments/results-${name}.json`);
  const skip = new Set(flag('skip', '').split(','));
  const ds = mnist();
  const { train: tr, val } = validationSplit(ds.train, 5000 / 60000, 0);
  const data = { train: tr, val };
  const normalize = ds.normalization;
  const acc = async (m: Module) => ({
    val: (await evaluate(m, val, { normalize })).top1,
    test: (await evaluate(m, ds.test, { normalize })).top1,
  });
  const rows: Record<string, unknown>[] = [];
  const save = () => writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
  let t0 = Date.now();
  const dense = make({ seed: 0 });
  await train(dense, data, { ...recipe.options, lr: denseLr, epochs: denseEpochs, normalize, logEvery: 0 });
  const base = await acc(dense);
  rows.push({ run: 'dense', epochs: denseEpochs, lr: denseLr, ...base, seconds: (Date.now() - t0) / 1000 });
  console.log(JSON.stringify(rows[rows.length - 1]));
  save();
  const weights = dense.stateDict();
  for (const ratio of ratios)
    for (const method of methods)
      for (const init of inits) {
        if (skip.has(`${method}@${ratio}@${init}`)) continue;
        t0 = Date.now();
        const m = make({ seed: 0 });
        m.loadStateDict(weights);
        const budget = { metric: 'params' as const, target: 1 / ratio };
        const selector = method === 'ada' ? adaSelector({ biases }) : scadaSelector({ biases });
        try {
          const context = { inputShape: data.train.shape, seed: 0 };
          let ratios: ReturnType<typeof storageRatios> | null = null;
          const r = await compress(m, data, selector, {
            budget,
            context,
            factorize: { adaInit: init },
            finetune: { ...ADA_TRAIN_DEFAULTS, seed: 0, epochs, normalize, logEvery: 0 },
            evaluate: false,
            // The ratios of the plan, read off the dense model before factorize replaces its layers.
            onStage: (st) => {
              if (st.stage === 'selected') ratios = storageRatios(m, st.plan, context);
            },
          });
          if (ratios === null) throw new Error('no selection');
          const rr: ReturnType<typeof storageRatios> = ratios;
          const a = await acc(r.model);
          const det = r.report.details ?? {};
          rows.push({
            run: method,
            init,
            target: `${ratio}x`,
            biases,
            epochs,
            ...a,
            dropTest: base.test - a.test,
            ratioNetworkWeightsOnly: rr.network.weightsOnly.ratio,
            ratioNetworkWithBiases: rr.network.withBiases.ratio,
            ratioCompressibleWithBiases: rr.compressible.withBiases.ratio,
            plannedParams: rr.network.withBiases.planned,
            order: det.order ?? det.orders,
            rank: det.rank ?? det.ranks,
            dims: det.dims,
            seconds: (Date.now() - t0) / 1000,
          });
        } catch (e) {
          rows.push({ run: method, init, target: `${ratio}x`, biases, error: String(e) });
        }
        console.log(JSON.stringify(rows[rows.length - 1]));
        save();
        m.dispose();
      }
  tf.dispose([...weights.values()]);
}
