import {
  AdaTuckerLayer,
  AvgPool,
  BatchNorm,
  ChannelPadShortcut,
  Conv2d,
  CPConv2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool,
  ReLU,
  Residual,
  Sequential,
  SharedCore,
  TTConv2d,
  TTLinear,
  Tucker2Conv2d,
} from '@tnzip/layers';

/**
 * Every layer class of @tnzip/layers. Each class's module registers its `kind` with `load()` when it is
 * evaluated; the bundler drops modules the page never references (it does not apply the package's
 * `sideEffects` list to the TypeScript sources), and `load()` would then fail with "unknown module
 * kind 'sequential'". Referencing the classes here keeps every registration in the bundle.
 */
export const LAYER_CLASSES = [
  AdaTuckerLayer,
  AvgPool,
  BatchNorm,
  ChannelPadShortcut,
  Conv2d,
  CPConv2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool,
  ReLU,
  Residual,
  Sequential,
  SharedCore,
  TTConv2d,
  TTLinear,
  Tucker2Conv2d,
] as const;
