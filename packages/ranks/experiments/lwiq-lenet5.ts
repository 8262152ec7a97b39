/**
 * LWIQ vs the energy and uniform baselines on LeNet-5 (real MNIST) with TT layers, at one budget,
 * each followed by the same fine-tuning.
 *
 *   cd packages/ranks && node --import tsx --import ./experiments/register.mjs --conditions=@tnzip/source \
 *     experiments/lwiq-lenet5.ts [--dense-epochs N --dense-lr X] [--budget 0.05] [--ft-examples N] \
 *     [--calibration 1000] [--out experiments/out/lwiq-lenet5.json]
 *
 * conv2 (TTConv2d) and fc1 (TTLinear) are compressed, conv1 and fc2 stay dense ([P], papers.md §2.3);
 * the budget is a fraction of the parameters of conv2 + fc1. Calibration: the first `--calibration`
 * images of the training split (never the validation or test set). Fine-tuning: one pass over the
 * first `--ft-examples` training images (default: all), SGD lr 0.01 cosine, identical for all methods.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { batches, selectExamples } from '@tnzip/data';
import { factorize } from '@tnzip/layers';
import { train } from '@tnzip/train';
import { energySelector, lwiqSelector, type RankSelector, uniformSelector } from '../src/index.js';
import { flag, setup } from './batude-lwiq-common.js';

const s = await setup();
const normalize = s.ds.normalization;
const target = Number(flag('budget', '0.05'));
const nCal = Number(flag('calibration', '1000'));
const ftExamples = Number(flag('ft-examples', String(s.data.train.count)));
const out = flag('out', 'experiments/out/lwiq-lenet5.json');
const inputShape = [28, 28, 1];
const layers = ['conv2', 'fc1'];
const calSplit = selectExamples(
  s.data.train,
  Array.from({ length: nCal }, (_, i) => i),
);
const b = batches(calSplit, { batchSize: nCal, shuffle: false, normalize }).next();
if (b.done === true) throw new Error('no calibration');
const calibration = { x: b.value.x, y: b.value.y, numClasses: 10 };
const ftSplit =
  ftExamples >= s.data.train.count
    ? s.data.train
    : selectExamples(
        s.data.train,
        Array.from({ length: ftExamples }, (_, i) => i),
      );
const budget = { metric: 'params' as const, target };
const rows: Record<string, unknown>[] = [];
const methods: Array<[string, RankSelector]> = [
  ['lwiq', lwiqSelector({ format: 'tt' })],
  ['energy', energySelector({ format: 'tt', minRank: 2 })],
  ['uniform', uniformSelector({ format: 'tt', minRank: 2 })],
];
for (const [name, sel] of methods) {
  const model = await s.fresh();
  const { plan, report } = await sel.select(model, budget, { inputShape, layers, calibration });
  // LWIQ again on the same model: the scores are cached, this is the pure rank-search time.
  let reuse: number | null = null;
  if (name === 'lwiq')
    reuse = (await sel.select(model, { metric: 'params', target: target * 2 }, { inputShape, layers, calibration }))
      .report.searchMs;
  factorize(model, plan);
  const before = s.acc(model);
  const t0 = Date.now();
  const ft = await train(
    model,
    { train: ftSplit, val: s.data.val },
    {
      epochs: 1,
      batchSize: 64,
      lr: 0.01,
      optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      schedule: { kind: 'cosine' },
      normalize,
      logEvery: 0,
      seed: 3,
    },
  );
  const ftSeconds = (Date.now() - t0) / 1000;
  const fullEpochSeconds = (ftSeconds * s.data.train.count) / ftSplit.count;
  const acc = s.acc(model);
  const row = {
    method: name,
    achieved: report.achieved,
    planned: report.planned,
    plan,
    searchMs: report.searchMs,
    searchMsSecondBudget: reuse,
    scoreMs: report.details?.scoreMs ?? null,
    significance: report.details?.significance ?? null,
    beforeFinetune: before,
    ...acc,
    finetuneSeconds: ftSeconds,
    finetuneExamples: ftSplit.count,
    fullEpochSecondsEstimate: fullEpochSeconds,
    searchShareOfEpoch: report.searchMs / 1000 / fullEpochSeconds,
    finetuneValAcc: ft.final.valAcc,
  };
  console.log(JSON.stringify(row));
  rows.push(row);
  model.dispose();
}
tf.dispose([calibration.x, calibration.y]);
const result = {
  command: process.argv.slice(1).join(' '),
  denseEpochs: s.denseEpochs,
  denseLr: s.denseLr,
  dense: s.dense,
  budget,
  layers,
  rows,
};
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
