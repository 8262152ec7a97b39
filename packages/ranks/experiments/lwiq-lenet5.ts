/**
 * LWIQ vs the energy and uniform baselines on LeNet-5 (real MNIST) with TT layers, at one budget,
 * each followed by the same fine-tuning.
 *
 *   cd packages/ranks && node --import tsx --import @tnzip/layers/node-register --conditions=@tnzip/source \
 *     experiments/lwiq-lenet5.ts [--dense-epochs N --dense-lr X] [--budget 0.05] [--ft-examples N] \
 *     [--calibration 1000] [--out experiments/results/lwiq-lenet5.json]
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
import { flag, progress, setup, wholeCost, wholeMacsTarget } from './batude-lwiq-common.js';

const s = await setup();
const normalize = s.ds.normalization;
// --metric params (default): --budget is the fraction of conv2+fc1 params kept. --metric macs:
// --macs-factor F sets the target so that the WHOLE network keeps <= 1/F of its MACs (as BATUDE).
const metric = flag('metric', 'params') as 'params' | 'macs';
const macsFactor = Number(flag('macs-factor', '2.5'));
const nCal = Number(flag('calibration', '1000'));
const ftExamples = Number(flag('ft-examples', String(s.data.train.count)));
const out = flag('out', 'experiments/results/lwiq-lenet5.json');
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
const probe = await s.fresh();
const wholeDense = wholeCost(probe, inputShape);
const target =
  metric === 'macs' ? wholeMacsTarget(probe, inputShape, layers, macsFactor).target : Number(flag('budget', '0.05'));
probe.dispose();
const budget = { metric, target };
console.log(JSON.stringify({ dense: s.dense, budget, wholeDense }));
const rows: Record<string, unknown>[] = [];
const methods: Array<[string, RankSelector]> = [
  ['lwiq', lwiqSelector({ format: 'tt' })],
  ['energy', energySelector({ format: 'tt', minRank: 2 })],
  ['uniform', uniformSelector({ format: 'tt', minRank: 2 })],
];
for (const [name, sel] of methods) {
  const model = await s.fresh();
  console.error(`[${name}] select`);
  const { plan, report } = await sel.select(model, budget, { inputShape, layers, calibration });
  // LWIQ again on the same model: the scores are cached, this is the pure rank-search time.
  let reuse: number | null = null;
  if (name === 'lwiq')
    reuse = (await sel.select(model, { metric, target: Math.min(1, target * 2) }, { inputShape, layers, calibration }))
      .report.searchMs;
  factorize(model, plan);
  const whole = wholeCost(model, inputShape);
  const before = await s.acc(model);
  console.error(`[${name}] before fine-tuning ${JSON.stringify(before)}`);
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
      onProgress: progress(`ft-${name}`),
    },
  );
  const ftSeconds = (Date.now() - t0) / 1000;
  const fullEpochSeconds = (ftSeconds * s.data.train.count) / ftSplit.count;
  const acc = await s.acc(model);
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
    // The scoring forward passes included (LWIQ's first budget pays them once).
    searchWithScoringShareOfEpoch: (report.searchMs + Number(report.details?.scoreMs ?? 0)) / 1000 / fullEpochSeconds,
    wholeParams: whole.params,
    wholeMacs: whole.macs,
    wholeParamsReduction: wholeDense.params / whole.params,
    wholeMacsReduction: wholeDense.macs / whole.macs,
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
  finetune: { examples: ftSplit.count, epochs: 1, lr: 0.01, schedule: 'cosine', seed: 3 },
  calibration: nCal,
  wholeDense,
  rows,
};
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
