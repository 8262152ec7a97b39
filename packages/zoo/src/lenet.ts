import { Flatten, MaxPool, ReLU, Sequential } from '@tnzip/layers';
import { checkClasses, heConv, heLinear, modelSeed, type SeedOptions } from './init.js';

/** Options of {@link lenet300} and {@link lenet5}. */
export interface LeNetOptions extends SeedOptions {
  /** Output classes (default 10). */
  readonly numClasses?: number;
}

/**
 * Per-example input of {@link lenet300}: an MNIST image `[28, 28, 1]`. The model starts with a
 * Flatten, so flat `[784]` vectors (e.g. from `batches(split, { flatten: true })`) work as well.
 */
export const LENET300_INPUT_SHAPE: readonly number[] = Object.freeze([28, 28, 1]);

/** Per-example input of {@link lenet5}: an MNIST image `[28, 28, 1]` (NHWC, batch axis excluded). */
export const LENET5_INPUT_SHAPE: readonly number[] = Object.freeze([28, 28, 1]);

/**
 * LeNet-300-100 (LeCun et al. 1998): flatten, fc 784→300, ReLU, fc 300→100, ReLU, fc 100→K.
 *
 * Layer names: `flatten, fc1, relu1, fc2, relu2, fc3`. Input `[N, 28, 28, 1]` or `[N, 784]`, output
 * logits `[N, K]`. With K = 10: 266,610 params, 266,200 MACs.
 */
export function lenet300(options: LeNetOptions = {}): Sequential {
  const seed = modelSeed(options, 'lenet300');
  const k = options.numClasses ?? 10;
  checkClasses(k, 'lenet300');
  return new Sequential('lenet300', [
    new Flatten('flatten'),
    heLinear('fc1', seed, 784, 300),
    new ReLU('relu1'),
    heLinear('fc2', seed, 300, 100),
    new ReLU('relu2'),
    heLinear('fc3', seed, 100, k),
  ]);
}

/**
 * LeNet-5 as in Caffe's `lenet_train_test.prototxt` (20-50-500): conv 5×5 1→20, max-pool 2, conv 5×5
 * 20→50, max-pool 2, flatten, fc 800→500, ReLU, fc 500→K. No activation after the convolutions (as
 * in Caffe). Valid padding, so 28 → 24 → 12 → 8 → 4 and the flattened features are 4·4·50 = 800
 * (NHWC order).
 *
 * Layer names: `conv1, pool1, conv2, pool2, flatten, fc1, relu1, fc2`. Input `[N, 28, 28, 1]`, output
 * logits `[N, K]`. With K = 10: 431,080 params, 2,293,000 MACs.
 */
export function lenet5(options: LeNetOptions = {}): Sequential {
  const seed = modelSeed(options, 'lenet5');
  const k = options.numClasses ?? 10;
  checkClasses(k, 'lenet5');
  return new Sequential('lenet5', [
    heConv('conv1', seed, { inChannels: 1, outChannels: 20, kernelSize: 5 }),
    new MaxPool('pool1', { kernelSize: 2 }),
    heConv('conv2', seed, { inChannels: 20, outChannels: 50, kernelSize: 5 }),
    new MaxPool('pool2', { kernelSize: 2 }),
    new Flatten('flatten'),
    heLinear('fc1', seed, 800, 500),
    new ReLU('relu1'),
    heLinear('fc2', seed, 500, k),
  ]);
}
