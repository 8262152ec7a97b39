import type * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '../layers/conv2d.js';
import type { ModuleConfig } from '../module.js';
import type { ConvGeometry } from './geometry.js';

/* What a factorized conv shares with the dense Conv2d it replaces: options, config fields, `toDense`. */

/**
 * The dense `Conv2d` a factorized conv layer reconstructs to: same name, channels and geometry,
 * weight = `kernel` (`[kh, kw, S, T]`, disposed here) and a copy of `bias`.
 */
export function denseConv2d(
  name: string,
  inChannels: number,
  outChannels: number,
  geometry: ConvGeometry,
  kernel: tf.Tensor,
  bias: tf.Variable | null,
): Conv2d {
  const conv = new Conv2d(name, {
    inChannels,
    outChannels,
    kernelSize: [...geometry.kernelSize] as [number, number],
    stride: [...geometry.stride] as [number, number],
    padding: geometry.padding,
    dilation: [...geometry.dilation] as [number, number],
    bias: bias !== null,
  });
  conv.weight.assign(kernel);
  kernel.dispose();
  if (bias !== null && conv.bias !== null) conv.bias.assign(bias);
  return conv;
}

/** The config fields every factorized conv shares: kind, name, channels, geometry and bias. */
export function convConfig(
  kind: string,
  name: string,
  inChannels: number,
  outChannels: number,
  geometry: ConvGeometry,
  bias: boolean,
): ModuleConfig {
  return {
    kind,
    name,
    inChannels,
    outChannels,
    kernelSize: [...geometry.kernelSize],
    stride: [...geometry.stride],
    padding: geometry.padding,
    dilation: [...geometry.dilation],
    bias,
  };
}

/**
 * A conv layer as its kind's cost formula sees it: channels, geometry and whether it has a bias —
 * of the dense Conv2d (planning) or of the factorized layer (its own `cost()`).
 */
export interface ConvFacts extends ConvGeometry {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly bias: boolean;
}

/** The options a factorized conv copies from the dense conv it replaces: channels, geometry, bias. */
export function denseConvOptions(layer: Conv2d): ConvFacts {
  return {
    inChannels: layer.inChannels,
    outChannels: layer.outChannels,
    kernelSize: layer.kernelSize,
    stride: layer.stride,
    padding: layer.padding,
    dilation: layer.dilation,
    bias: layer.bias !== null,
  };
}
