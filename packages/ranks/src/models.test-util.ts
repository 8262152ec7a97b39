import {
  BatchNorm,
  ChannelPadShortcut,
  Conv2d,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool,
  type Module,
  ReLU,
  Residual,
  Sequential,
} from '@tnzip/layers';

/** Caffe LeNet-5 (20-50-500-10) on [28, 28, 1], seeded weights. */
export function lenet5(): Sequential {
  return new Sequential('lenet5', [
    new Conv2d('conv1', { inChannels: 1, outChannels: 20, kernelSize: 5, seed: 1 }),
    new MaxPool('pool1', { kernelSize: 2 }),
    new Conv2d('conv2', { inChannels: 20, outChannels: 50, kernelSize: 5, seed: 2 }),
    new MaxPool('pool2', { kernelSize: 2 }),
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 800, outFeatures: 500, seed: 3 }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 500, outFeatures: 10, seed: 4 }),
  ]);
}

/** LeCun's smaller LeNet-5 (6-16-120-84-10) on [28, 28, 1], seeded weights: a fast test model. */
export function lenetSmall(): Sequential {
  return new Sequential('lenet', [
    new Conv2d('conv1', { inChannels: 1, outChannels: 6, kernelSize: 5, seed: 1 }),
    new MaxPool('pool1', { kernelSize: 2 }),
    new Conv2d('conv2', { inChannels: 6, outChannels: 16, kernelSize: 5, seed: 2 }),
    new MaxPool('pool2', { kernelSize: 2 }),
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 256, outFeatures: 120, seed: 3 }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 120, outFeatures: 84, seed: 4 }),
    new ReLU('relu2'),
    new Linear('fc3', { inFeatures: 84, outFeatures: 10, seed: 5 }),
  ]);
}

/**
 * A CIFAR-style ResNet-8 (one basic block per stage, widths 8/16/32, option-A shortcuts) on
 * [16, 16, 3]: convs at three resolutions, strides and a global pool.
 */
export function resnetSmall(): Sequential {
  let seed = 10;
  const conv = (name: string, s: number, t: number, stride: number): Conv2d =>
    new Conv2d(name, { inChannels: s, outChannels: t, kernelSize: 3, stride, padding: 1, bias: false, seed: seed++ });
  const stages: Module[] = [];
  let inC = 8;
  [8, 16, 32].forEach((c, si) => {
    const stride = si > 0 ? 2 : 1;
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
    stages.push(new Sequential(`layer${si + 1}`, [new Residual('0', body, shortcut, { activation: 'relu' })]));
    inC = c;
  });
  return new Sequential('resnet8', [
    conv('conv1', 3, 8, 1),
    new BatchNorm('bn1', { numFeatures: 8 }),
    new ReLU('relu'),
    ...stages,
    new GlobalAvgPool('pool'),
    new Linear('fc', { inFeatures: 32, outFeatures: 10, seed: 99 }),
  ]);
}
