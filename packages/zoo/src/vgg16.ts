import { BatchNorm, Flatten, MaxPool, type Module, ReLU, Sequential } from '@tnzip/layers';
import { checkClasses, heConv, heLinear, modelSeed, type SeedOptions } from './init.js';

/** Options of {@link vgg16}. */
export interface Vgg16Options extends SeedOptions {
  /** Output classes (default 10). */
  readonly numClasses?: number;
}

/** Output channels of the 13 convolutions, by block. */
const BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
];

/**
 * VGG-16 for CIFAR with BatchNorm (the common `pytorch-cifar` variant of Simonyan & Zisserman's
 * configuration D): five blocks of 3×3 convs (pad 1, with bias) each followed by BN and ReLU, the
 * blocks ending in a 2×2 max-pool (32 → 1), then flatten and one fc 512→K.
 *
 * Layer names: `block{b}.conv{i}, block{b}.bn{i}, block{b}.relu{i}, block{b}.pool` (b = 1..5,
 * i = 1..2 or 1..3), `flatten`, `fc`. Input `[N, 32, 32, 3]`, logits `[N, K]`.
 *
 * With K = 10: 14,728,266 params (as `pytorch-cifar`), 313,201,664 MACs.
 */
export function vgg16(options: Vgg16Options = {}): Sequential {
  const seed = modelSeed(options, 'vgg16');
  const k = options.numClasses ?? 10;
  checkClasses(k, 'vgg16');
  const blocks: Module[] = [];
  let inC = 3;
  BLOCKS.forEach((chans, bi) => {
    const b = `block${bi + 1}`;
    const layers: Module[] = [];
    chans.forEach((c, ci) => {
      const i = ci + 1;
      layers.push(
        heConv(`${b}.conv${i}`, seed, { inChannels: inC, outChannels: c, kernelSize: 3, padding: 1 }),
        new BatchNorm(`bn${i}`, { numFeatures: c }),
        new ReLU(`relu${i}`),
      );
      inC = c;
    });
    layers.push(new MaxPool('pool', { kernelSize: 2 }));
    blocks.push(new Sequential(b, layers));
  });
  return new Sequential('vgg16', [...blocks, new Flatten('flatten'), heLinear('fc', seed, 512, k)]);
}
