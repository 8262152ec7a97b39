import { cacheOnCpu, type FactorizationPlan, factorize, type Module, type Shape } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type TrainData, type TrainOptions, type TrainResult, train } from '@tnzip/train';
import { type StorageRatios, storageRatios } from './ada-ratios.js';
import { type AdaSelectOptions, adaSelector, type ScadaSelectOptions, scadaSelector } from './ada-select.js';
import type { Budget } from './budget.js';
import type { RankSelector, SelectionReport } from './selector.js';

/** How the cores and factors start before training. */
export type AdaInit = 'decompose' | 'random';

/** What {@link adaCompress} / {@link scadaCompress} take besides the selector's options. */
export interface AdaCompressExtra {
  /**
   * `'decompose'` (default): HOSVD of each pretrained weight's balanced reshape, truncated to the
   * plan's ranks (a SCADA group's first layer gives the shared core, the others fit their scale),
   * then fine-tuned. `'random'`: seeded orthonormal factors and a He-scaled core, i.e. ADA
   * trained from scratch (what the paper most likely did, papers.md §3.2 "likely"). The default
   * is 'decompose' because it starts from what the dense network learned; see the package
   * README for the measured comparison.
   */
  readonly init?: AdaInit;
  /** Input shape of one example (no batch axis). Default `data.train.shape`. */
  readonly inputShape?: Shape;
  /** Paths of the layers to compress (default every Conv2d / Linear). */
  readonly layers?: readonly string[];
  /** Seed of the random init and of training (default 0). */
  readonly seed?: number;
  /**
   * Training after factorization, passed to `@tnzip/train`'s `train` over these defaults [P]
   * (papers.md §3.2): Adam, lr 1e-3, cosine schedule, batch 64, 10 epochs. `epochs: 0` skips
   * training (the plan and the initialized layers only).
   */
  readonly train?: Partial<TrainOptions>;
}

/** Options of {@link adaCompress}. */
export type AdaCompressOptions = AdaSelectOptions & AdaCompressExtra;
/** Options of {@link scadaCompress}. */
export type ScadaCompressOptions = ScadaSelectOptions & AdaCompressExtra;

/** What the compress functions return. */
export interface AdaCompressResult {
  /** The same module as the input, its compressible layers replaced by AdaTuckerLayers. */
  readonly model: Module;
  readonly plan: FactorizationPlan;
  readonly report: SelectionReport;
  /** Parameter-count ratios of the plan (see {@link storageRatios}). */
  readonly ratios: StorageRatios;
  /** The training run, or null with `train.epochs: 0`. */
  readonly training: TrainResult | null;
}

/** Defaults of the training after factorization [P]. */
export const ADA_TRAIN_DEFAULTS: Pick<TrainOptions, 'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'schedule'> = {
  epochs: 10,
  batchSize: 64,
  lr: 1e-3,
  optimizer: { kind: 'adam' },
  schedule: { kind: 'cosine' },
};

async function compressWith(
  selector: RankSelector,
  model: Module,
  data: TrainData,
  budget: Budget,
  extra: AdaCompressExtra,
): Promise<AdaCompressResult> {
  if (data === null || typeof data !== 'object' || data.train === undefined)
    throw new TnzipError('INVALID_ARGUMENT', 'data must be { train, val?, test? } splits');
  const init = extra.init ?? 'decompose';
  if (init !== 'decompose' && init !== 'random')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.init must be 'decompose' or 'random', got ${JSON.stringify(init)}`,
    );
  const seed = extra.seed ?? 0;
  const inputShape = extra.inputShape ?? data.train.shape;
  const context = { inputShape, seed, ...(extra.layers === undefined ? {} : { layers: extra.layers }) };
  const { plan, report } = await selector.select(model, budget, context);
  const ratios = storageRatios(model, plan, context);
  await cacheOnCpu(model); // factorize reads the weights synchronously (webgpu: GPU-only until cached)
  factorize(model, plan, { adaInit: init, seed });
  const options: TrainOptions = { ...ADA_TRAIN_DEFAULTS, seed, ...extra.train };
  const training = options.epochs === 0 ? null : await train(model, data, options);
  return { model, plan, report: { ...report, details: { ...report.details, init, ratios } }, ratios, training };
}

/**
 * ADA-Tucker end to end: {@link adaSelector} plans the dims and ranks for `budget` (params),
 * `factorize` replaces the layers (init per `options.init`), `train` fine-tunes cores and
 * factors. The model is changed in place. For the CLI (`tnzip compress --method ada`).
 */
export function adaCompress(
  model: Module,
  data: TrainData,
  budget: Budget,
  options: AdaCompressOptions = {},
): Promise<AdaCompressResult> {
  return compressWith(adaSelector(options), model, data, budget, options);
}

/** SCADA-Tucker end to end, as {@link adaCompress} with {@link scadaSelector} (one shared core). */
export function scadaCompress(
  model: Module,
  data: TrainData,
  budget: Budget,
  options: ScadaCompressOptions = {},
): Promise<AdaCompressResult> {
  return compressWith(scadaSelector(options), model, data, budget, options);
}

/** `ada.selector(options)`, `ada.compress(model, data, budget, options)`: the CLI's entry points. */
export const ada = {
  /** {@link adaSelector} */
  selector: adaSelector,
  /** {@link adaCompress} */
  compress: adaCompress,
} as const;
/** `scada.selector(options)`, `scada.compress(model, data, budget, options)`. */
export const scada = {
  /** {@link scadaSelector} */
  selector: scadaSelector,
  /** {@link scadaCompress} */
  compress: scadaCompress,
} as const;
