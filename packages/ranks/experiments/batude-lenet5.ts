/**
 * BATUDE on LeNet-5 (real MNIST) with a MACs budget of 2.5x fewer MACs for the WHOLE network.
 *
 *   cd packages/ranks && node --import tsx --import @tnzip/layers/node-register --conditions=@tnzip/source \
 *     experiments/batude-lenet5.ts [--dense-epochs N --dense-lr X] [--phase1-epochs 1] [--ft-epochs 1] \
 *     [--dense-fallback none|metric|both] [--out experiments/results/batude-lenet5.json]
 *
 * Starts from the dense baseline of batude-lwiq-common.ts; compresses conv2 (Tucker-2) and fc1
 * (rank-R) — conv1 and the classifier stay dense ([P], papers.md §1.3) — with the budget target set
 * so that the whole network keeps at most 1/2.5 of its MACs. Hyperparameters are fixed in advance
 * (no search on the test set); the test set is only reported.
 */
import { writeFileSync } from 'node:fs';
import { compress as compressModel } from '../src/compress/index.js';
import { batudeSelector } from '../src/index.js';
import { flag, progress, setup, wholeCost, wholeMacsTarget } from './batude-lwiq-common.js';

const s = await setup();
const normalize = s.ds.normalization;
const phase1Epochs = Number(flag('phase1-epochs', '1'));
const ftEpochs = Number(flag('ft-epochs', '1'));
// none (default, the first run) | metric | both: a layer whose factorization would cost more than dense stays dense.
const denseFallback = flag('dense-fallback', 'none') as 'none' | 'metric' | 'both';
const out = flag('out', 'experiments/results/batude-lenet5.json');
const model = await s.fresh();
const inputShape = [28, 28, 1];
const compress = ['conv2', 'fc1'];
const factor = Number(flag('macs-factor', '2.5'));
const { target, whole, compressible: comp } = wholeMacsTarget(model, inputShape, compress, factor);
const wholeDense = wholeCost(model, inputShape);
console.log(JSON.stringify({ dense: s.dense, wholeMacs: whole, compressibleMacs: comp, target }));
const t0 = Date.now();
const r = await compressModel(
  model,
  s.data,
  batudeSelector({
    epochs: phase1Epochs,
    hook: { rho: 0.01, rhoGrowth: 1.3, rhoMax: 1, updateEvery: 50, denseFallback },
  }),
  {
    budget: { metric: 'macs', target },
    context: { inputShape, layers: compress },
    // Phase 1 over the fine-tuning's batch, optimizer, schedule and normalization.
    phase: { lr: 0.01, logEvery: 0, seed: 1, onProgress: progress('batude-phase1') },
    finetune: {
      epochs: ftEpochs,
      batchSize: 64,
      lr: 0.005,
      optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      schedule: { kind: 'cosine' },
      normalize,
      logEvery: 0,
      seed: 2,
      onProgress: progress('batude-finetune'),
    },
    evaluate: false,
  },
);
const afterCost = wholeCost(model, inputShape);
const after = afterCost.macs;
const acc = await s.acc(model);
const result = {
  command: process.argv.slice(1).join(' '),
  denseEpochs: s.denseEpochs,
  denseLr: s.denseLr,
  dense: s.dense,
  budgetTarget: target,
  denseFallback,
  plan: r.plan,
  achieved: r.report.achieved,
  wholeMacsDense: whole,
  wholeMacsCompressed: after,
  macsReduction: whole / after,
  wholeParamsDense: wholeDense.params,
  wholeParamsCompressed: afterCost.params,
  phase1Seconds: r.report.searchMs / 1000,
  finetuneSeconds: r.finetuneMs / 1000,
  finetuneValAcc: r.finetune?.final.valAcc ?? null,
  phase1ValAcc: r.phase?.final.valAcc ?? null,
  ...acc,
  dropPoints: (s.dense.testAcc - acc.testAcc) * 100,
  details: r.report.details,
  seconds: (Date.now() - t0) / 1000,
};
console.log(JSON.stringify(result, null, 1));
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
