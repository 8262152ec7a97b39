import type * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '../layers/conv2d.js';
import type { ModuleConfig } from '../module.js';
import type { ConvGeometry, PaddingSpec } from './geometry.js';

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

/** The options a factorized conv copies from the dense conv it replaces: channels, geometry, bias. */
export function denseConvOptions(layer: Conv2d): {
  inChannels: number;
  outChannels: number;
  kernelSize: readonly [number, number];
  stride: readonly [number, number];
  padding: PaddingSpec;
  dilation: readonly [number, number];
  bias: boolean;
} {
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
