import { BatchNorm, ChannelPadShortcut, GlobalAvgPool, type Module, ReLU, Residual, Sequential } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { checkClasses, heConv, heLinear, modelSeed, type SeedOptions } from './init.js';

/** Depths of the CIFAR ResNets (6n + 2 with n = 3, 5, 9). */
export type CifarResNetDepth = 20 | 32 | 56;

/** Options of {@link resnet}. */
export interface ResNetOptions extends SeedOptions {
  /** 20, 32 or 56. */
  readonly depth: CifarResNetDepth;
  /** Output classes (default 10). */
  readonly numClasses?: number;
  /**
   * Shortcut where a block changes shape. `'A'` (default, as He et al. use for CIFAR): subsample by 2
   * and zero-pad the channels, no parameters. `'B'`: a 1×1 stride-2 conv (no bias) + BatchNorm.
   */
  readonly shortcut?: 'A' | 'B';
}

/** Per-example input of the CIFAR ResNets and VGG-16: a CIFAR-10 image `[32, 32, 3]`. */
export const CIFAR_INPUT_SHAPE: readonly number[] = Object.freeze([32, 32, 3]);

/** 1×1 stride-s conv + BN, the projection shortcut (option B), named `shortcut.conv`, `shortcut.bn`. */
export function projectionShortcut(path: string, seed: number, s: number, t: number, stride: number): Sequential {
  return new Sequential('shortcut', [
    heConv(`${path}.shortcut.conv`, seed, { inChannels: s, outChannels: t, kernelSize: 1, stride, bias: false }),
    new BatchNorm('bn', { numFeatures: t }),
  ]);
}

/**
 * A basic block: conv 3×3 (stride) → BN → ReLU → conv 3×3 → BN, plus the shortcut, then ReLU.
 * Children: `conv1, bn1, relu1, conv2, bn2[, shortcut]`.
 */
export function basicBlock(
  path: string,
  seed: number,
  s: number,
  t: number,
  stride: number,
  shortcut: 'A' | 'B',
): Residual {
  const name = path.slice(path.lastIndexOf('.') + 1);
  const body = [
    heConv(`${path}.conv1`, seed, { inChannels: s, outChannels: t, kernelSize: 3, stride, padding: 1, bias: false }),
    new BatchNorm('bn1', { numFeatures: t }),
    new ReLU('relu1'),
    heConv(`${path}.conv2`, seed, { inChannels: t, outChannels: t, kernelSize: 3, padding: 1, bias: false }),
    new BatchNorm('bn2', { numFeatures: t }),
  ];
  let sc: Module | null = null;
  if (stride !== 1 || s !== t) {
    sc =
      shortcut === 'A'
        ? new ChannelPadShortcut('shortcut', { inChannels: s, outChannels: t, stride })
        : projectionShortcut(path, seed, s, t, stride);
  }
  return new Residual(name, body, sc, { activation: 'relu' });
}

/**
 * The CIFAR ResNet of He et al. (2016, §4.2), depth 6n + 2: a stem (conv 3×3 3→16, BN, ReLU), three
 * stages of n basic blocks with 16, 32, 64 channels (the first block of stages 2 and 3 has stride 2),
 * global average pool, fc 64→K. BatchNorm after every conv; convs have no bias.
 *
 * Layer names: `stem.conv, stem.bn, stem.relu`, `stage{1,2,3}.block{i}.{conv1,bn1,relu1,conv2,bn2}`,
 * `stage{2,3}.block0.shortcut` (option A) or `.shortcut.conv`, `.shortcut.bn` (option B), `pool`, `fc`.
 * Input `[N, 32, 32, 3]`, logits `[N, K]`.
 *
 * With K = 10 and option A: ResNet-20 269,722 params / 40,551,040 MACs; ResNet-32 464,154 /
 * 68,862,592; ResNet-56 853,018 / 125,485,696.
 */
export function resnet(options: ResNetOptions): Sequential {
  const depth = options.depth;
  if (depth !== 20 && depth !== 32 && depth !== 56) {
    throw new TnzipError('INVALID_ARGUMENT', `resnet: depth must be 20, 32 or 56, got ${String(depth)}`);
  }
  const shortcut = options.shortcut ?? 'A';
  if (shortcut !== 'A' && shortcut !== 'B')
    throw new TnzipError('INVALID_ARGUMENT', `resnet: shortcut must be 'A' or 'B', got ${String(shortcut)}`);
  const k = options.numClasses ?? 10;
  checkClasses(k, `resnet${depth}`);
  const seed = modelSeed(options, `resnet${depth}`);
  const n = (depth - 2) / 6;
  const stages: Sequential[] = [];
  let inC = 16;
  [16, 32, 64].forEach((c, si) => {
    const blocks: Residual[] = [];
    for (let b = 0; b < n; b++) {
      blocks.push(basicBlock(`stage${si + 1}.block${b}`, seed, inC, c, si > 0 && b === 0 ? 2 : 1, shortcut));
      inC = c;
    }
    stages.push(new Sequential(`stage${si + 1}`, blocks));
  });
  return new Sequential(`resnet${depth}`, [
    new Sequential('stem', [
      heConv('stem.conv', seed, { inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1, bias: false }),
      new BatchNorm('bn', { numFeatures: 16 }),
      new ReLU('relu'),
    ]),
    ...stages,
    new GlobalAvgPool('pool'),
    heLinear('fc', seed, 64, k),
  ]);
}
