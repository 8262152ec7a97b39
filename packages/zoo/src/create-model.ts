import type { Sequential } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { LENET5_INPUT_SHAPE, LENET300_INPUT_SHAPE, lenet5, lenet300 } from './lenet.js';
import { CIFAR_INPUT_SHAPE, resnet } from './resnet.js';
import { IMAGENET_INPUT_SHAPE, resnet18 } from './resnet18.js';
import { vgg16 } from './vgg16.js';

/** Every model {@link createModel} knows, in the order they are listed to users. */
export const MODEL_NAMES = ['lenet300', 'lenet5', 'resnet20', 'resnet32', 'resnet56', 'resnet18', 'vgg16'] as const;

/** A name from {@link MODEL_NAMES}. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Options of {@link createModel}; each model reads those that apply to it. */
export interface CreateModelOptions {
  /** Init seed in [0, 2^32), default 0. */
  readonly seed?: number;
  /** Output classes (default 10; 1000 for resnet18). */
  readonly numClasses?: number;
  /** ResNet-20/32/56 shortcut, default `'A'`. */
  readonly shortcut?: 'A' | 'B';
  /** resnet18 only: `[H, W, C]`, H, W >= 32 (default `[224, 224, 3]`). */
  readonly inputShape?: readonly number[];
}

/** True when `name` is one of {@link MODEL_NAMES}. */
export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

function checkName(name: string): ModelName {
  if (typeof name !== 'string' || !isModelName(name)) {
    throw new TnzipError('NOT_FOUND', `unknown model '${String(name)}' (valid: ${MODEL_NAMES.join(', ')})`);
  }
  return name;
}

/**
 * Builds a zoo model by name with fresh seeded weights.
 *
 * @throws TnzipError `NOT_FOUND` naming the valid models for an unknown name; `INVALID_ARGUMENT` for
 *   bad options.
 */
export function createModel(name: string, options: CreateModelOptions = {}): Sequential {
  const n = checkName(name);
  const seed = options.seed;
  const common = {
    ...(seed === undefined ? {} : { seed }),
    ...(options.numClasses === undefined ? {} : { numClasses: options.numClasses }),
  };
  switch (n) {
    case 'lenet300':
      return lenet300(common);
    case 'lenet5':
      return lenet5(common);
    case 'resnet20':
    case 'resnet32':
    case 'resnet56':
      return resnet({
        ...common,
        depth: Number(n.slice(6)) as 20 | 32 | 56,
        ...(options.shortcut === undefined ? {} : { shortcut: options.shortcut }),
      });
    case 'resnet18':
      return resnet18({ ...common, ...(options.inputShape === undefined ? {} : { inputShape: options.inputShape }) });
    case 'vgg16':
      return vgg16(common);
  }
}

/**
 * The per-example input shape (`[H, W, C]`, batch axis excluded) that the named model expects; for
 * resnet18 the `inputShape` option when given.
 *
 * @throws TnzipError `NOT_FOUND` for an unknown name.
 */
export function modelInputShape(name: string, options: Pick<CreateModelOptions, 'inputShape'> = {}): number[] {
  const n = checkName(name);
  switch (n) {
    case 'lenet300':
      return [...LENET300_INPUT_SHAPE];
    case 'lenet5':
      return [...LENET5_INPUT_SHAPE];
    case 'resnet18':
      return [...(options.inputShape ?? IMAGENET_INPUT_SHAPE)];
    default:
      return [...CIFAR_INPUT_SHAPE];
  }
}
