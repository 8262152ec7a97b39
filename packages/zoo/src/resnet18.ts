import { BatchNorm, GlobalAvgPool, MaxPool, ReLU, type Residual, Sequential } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { checkClasses, heConv, heLinear, modelSeed, type SeedOptions } from './init.js';
import { basicBlock } from './resnet.js';

/** Default per-example input of {@link resnet18}: an ImageNet crop `[224, 224, 3]`. */
export const IMAGENET_INPUT_SHAPE: readonly number[] = Object.freeze([224, 224, 3]);

/** Options of {@link resnet18}. */
export interface ResNet18Options extends SeedOptions {
  /** `[H, W, C]` with H, W >= 32 (default `[224, 224, 3]`); only C fixes a weight shape. */
  readonly inputShape?: readonly number[];
  /** Output classes (default 1000). */
  readonly numClasses?: number;
}

/**
 * ResNet-18 in the ImageNet layout (He et al. 2016, torchvision): stem conv 7×7/2 C→64 (pad 3, no
 * bias), BN, ReLU, max-pool 3×3/2 (pad 1); four stages of two basic blocks with 64, 128, 256, 512
 * channels (stride 2 at the first block of stages 2–4, projection shortcuts: 1×1/2 conv + BN);
 * global average pool; fc 512→K. The global pool makes it accept any H, W >= 32 (at 32×32 the last
 * stage is 1×1).
 *
 * Layer names: `stem.conv, stem.bn, stem.relu, stem.pool`, `stage{1..4}.block{0,1}.{conv1,bn1,relu1,conv2,bn2}`,
 * `stage{2,3,4}.block0.shortcut.{conv,bn}`, `pool`, `fc`. Input `[N, H, W, C]`, logits `[N, K]`.
 *
 * With C = 3, K = 1000: 11,689,512 params; at 224×224, 1,814,073,344 MACs (torchvision's 1.8 G).
 */
export function resnet18(options: ResNet18Options = {}): Sequential {
  const shape = options.inputShape ?? IMAGENET_INPUT_SHAPE;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((d) => Number.isInteger(d) && d >= 1) ||
    (shape[0] as number) < 32 ||
    (shape[1] as number) < 32
  ) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `resnet18: inputShape must be [H, W, C] with integers H, W >= 32 and C >= 1, got ${JSON.stringify(shape)}`,
    );
  }
  const k = options.numClasses ?? 1000;
  checkClasses(k, 'resnet18');
  const seed = modelSeed(options, 'resnet18');
  const stages: Sequential[] = [];
  let inC = 64;
  [64, 128, 256, 512].forEach((c, si) => {
    const blocks: Residual[] = [];
    for (let b = 0; b < 2; b++) {
      blocks.push(basicBlock(`stage${si + 1}.block${b}`, seed, inC, c, si > 0 && b === 0 ? 2 : 1, 'B'));
      inC = c;
    }
    stages.push(new Sequential(`stage${si + 1}`, blocks));
  });
  return new Sequential('resnet18', [
    new Sequential('stem', [
      heConv('stem.conv', seed, {
        inChannels: shape[2] as number,
        outChannels: 64,
        kernelSize: 7,
        stride: 2,
        padding: 3,
        bias: false,
      }),
      new BatchNorm('bn', { numFeatures: 64 }),
      new ReLU('relu'),
      new MaxPool('pool', { kernelSize: 3, stride: 2, padding: 1 }),
    ]),
    ...stages,
    new GlobalAvgPool('pool'),
    heLinear('fc', seed, 512, k),
  ]);
}
