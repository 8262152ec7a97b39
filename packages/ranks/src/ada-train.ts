import type { TrainOptions } from '@tnzip/train';

/**
 * How ADA/SCADA cores and factors start before training (`factorize`'s `adaInit`, `AdaInit` of
 * `@tnzip/layers`): `'decompose'` (default) — HOSVD of each pretrained weight's balanced reshape,
 * truncated to the plan's ranks (a SCADA group's core fitted to all its layers, least-squares
 * scales); `'decompose-norm'` — the same with every rebuilt weight at its dense weight's norm;
 * `'random'` — seeded orthonormal factors and a He-scaled core, i.e. ADA trained from scratch (what
 * the paper most likely did, papers.md §3.2 "likely"). See the package README for the measured
 * comparison.
 */
export type { AdaInit } from '@tnzip/layers';

/**
 * The paper's training after factorization [P] (papers.md §3.2): Adam, lr 1e-3, cosine schedule,
 * batch 64, 10 epochs — to pass as (the base of) the pipeline's `finetune` options.
 */
export const ADA_TRAIN_DEFAULTS: Pick<TrainOptions, 'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'schedule'> = {
  epochs: 10,
  batchSize: 64,
  lr: 1e-3,
  optimizer: { kind: 'adam' },
  schedule: { kind: 'cosine' },
};
