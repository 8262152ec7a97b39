/**
 * Reference networks for tests and benchmarks (not exported from the package; the model zoo
 * lives in @tnzip/zoo). Architectures follow ../shared/bench/README.md so that the cost model and
 * timings compare one-to-one with the PyTorch reference.
 */

import { BatchNorm } from './layers/batch-norm.js';
import { ChannelPadShortcut } from './layers/channel-pad-shortcut.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { GlobalAvgPool } from './layers/global-avg-pool.js';
import { Linear } from './layers/linear.js';
import { MaxPool } from './layers/max-pool.js';
import { ReLU } from './layers/relu.js';
import { Residual } from './layers/residual.js';
import { Sequential } from './layers/sequential.js';
import type { Module } from './module.js';

/**
 * A k×k conv as Tucker-2: 1×1 (S→rS, no bias) → k×k (rS→rT, stride, padding, no bias) → 1×1
 * (rT→T, `bias`), as a Sequential of three plain Conv2d (the factorized layer class lives elsewhere).
 */
export function tucker2Chain(
  name: string,
  s: number,
  t: number,
  k: number,
  rS: number,
  rT: number,
  stride: number,
  padding: number,
  bias: boolean,
): Sequential {
  return new Sequential(name, [
    new Conv2d('first', { inChannels: s, outChannels: rS, kernelSize: 1, bias: false }),
    new Conv2d('core', { inChannels: rS, outChannels: rT, kernelSize: k, stride, padding, bias: false }),
    new Conv2d('last', { inChannels: rT, outChannels: t, kernelSize: 1, bias }),
  ]);
}

/**
 * Caffe LeNet-5 (20-50-500-10) on `[28, 28, 1]`: conv 5×5 1→20, max-pool 2, conv 5×5 20→50,
 * max-pool 2, fc 800→500, ReLU, fc 500→10 (no activation after the convs, as in Caffe).
 * 431,080 params, 2,293,000 MACs. With `tucker2`, conv2 is 1×1 20→10, 5×5 10→20, 1×1 20→50.
 */
export function lenet5(options: { tucker2?: boolean } = {}): Sequential {
  const conv2 =
    options.tucker2 === true
      ? tucker2Chain('conv2', 20, 50, 5, 10, 20, 1, 0, true)
      : new Conv2d('conv2', { inChannels: 20, outChannels: 50, kernelSize: 5 });
  return new Sequential('lenet5', [
    new Conv2d('conv1', { inChannels: 1, outChannels: 20, kernelSize: 5 }),
    new MaxPool('pool1', { kernelSize: 2 }),
    conv2,
    new MaxPool('pool2', { kernelSize: 2 }),
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 800, outFeatures: 500 }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 500, outFeatures: 10 }),
  ]);
}

/** LeNet-300-100 on `[784]`: fc 784→300, ReLU, fc 300→100, ReLU, fc 100→10. 266,610 params. */
export function lenet300100(): Sequential {
  return new Sequential('lenet300100', [
    new Linear('fc1', { inFeatures: 784, outFeatures: 300 }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 300, outFeatures: 100 }),
    new ReLU('relu2'),
    new Linear('fc3', { inFeatures: 100, outFeatures: 10 }),
  ]);
}

/**
 * CIFAR ResNet of depth 6n+2 on `[32, 32, 3]` (He et al. 2016): stem conv 3×3 3→16, three
 * stages of n basic blocks (16, 32, 64 channels), BN after every conv, option-A shortcuts,
 * global average pool, fc 64→10. Convs have no bias. With `tucker2Half`, every 3×3 conv inside
 * the blocks becomes 1×1 (S→⌊S/2⌋), 3×3 (→⌊T/2⌋), 1×1 (→T). ResNet-20: 269,722 params, 40,551,040 MACs.
 */
export function cifarResNet(depth: number, options: { tucker2Half?: boolean } = {}): Sequential {
  const n = (depth - 2) / 6;
  if (!Number.isInteger(n) || n < 1) throw new Error(`cifarResNet: depth must be 6n+2, got ${depth}`);
  const conv = (name: string, s: number, t: number, stride: number): Module =>
    options.tucker2Half === true
      ? tucker2Chain(name, s, t, 3, Math.floor(s / 2), Math.floor(t / 2), stride, 1, false)
      : new Conv2d(name, { inChannels: s, outChannels: t, kernelSize: 3, stride, padding: 1, bias: false });
  const stages: Module[] = [];
  let inC = 16;
  [16, 32, 64].forEach((c, si) => {
    const blocks: Module[] = [];
    for (let b = 0; b < n; b++) {
      const stride = si > 0 && b === 0 ? 2 : 1;
      const body = [
        conv('conv1', inC, c, stride),
        new BatchNorm('bn1', { numFeatures: c }),
        new ReLU('relu1'),
        conv('conv2', c, c, 1),
        new BatchNorm('bn2', { numFeatures: c }),
      ];
      const shortcut =
        stride !== 1 || inC !== c
          ? new ChannelPadShortcut('shortcut', { inChannels: inC, outChannels: c, stride })
          : null;
      blocks.push(new Residual(String(b), body, shortcut, { activation: 'relu' }));
      inC = c;
    }
    stages.push(new Sequential(`layer${si + 1}`, blocks));
  });
  return new Sequential(`resnet${depth}`, [
    new Conv2d('conv1', { inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1, bias: false }),
    new BatchNorm('bn1', { numFeatures: 16 }),
    new ReLU('relu'),
    ...stages,
    new GlobalAvgPool('pool'),
    new Linear('fc', { inFeatures: 64, outFeatures: 10 }),
  ]);
}
