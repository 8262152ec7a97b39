import type * as tf from '@tensorflow/tfjs-core';
import { Conv2d } from '../layers/conv2d.js';
import type { Module, ModuleConfig, Shape } from '../module.js';
import { field, isBool, isInt, isPadding, isPair } from './config-fields.js';
import { costInMode } from './execution.js';
import type { ConvGeometry } from './geometry.js';
import type { FactorizeContext, FactorizedKind, KindCost, PlanLike } from './kind.js';

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

/** The {@link ConvFacts} of a built factorized conv (its own `cost()` uses them). */
export function factorizedConvFacts(layer: {
  readonly geometry: ConvGeometry;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly bias: unknown;
}): ConvFacts {
  return { ...layer.geometry, inChannels: layer.inChannels, outChannels: layer.outChannels, bias: layer.bias !== null };
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

/** What a conv kind defines; {@link convKind} turns it into a {@link FactorizedKind}. */
export interface ConvKindSpec<P extends PlanLike> {
  readonly planKind: P['kind'];
  readonly moduleKinds: readonly string[];
  /** Checks the plan against the dense conv (throws as `FactorizedKind.validate`). */
  validate(layer: Conv2d, plan: P): void;
  /** The kind's one cost formula (the built layer's `cost()` evaluates it too). */
  cost(c: ConvFacts, plan: P, inputShape: Shape, who: string): KindCost;
  fromDense(layer: Conv2d, plan: P, context: FactorizeContext): Module;
}

/** The {@link FactorizedKind} of a kind that applies to Conv2d layers, with execution modes. */
export function convKind<P extends PlanLike>(spec: ConvKindSpec<P>): FactorizedKind<P> {
  return {
    planKind: spec.planKind,
    moduleKinds: spec.moduleKinds,
    appliesTo: (layer) => layer instanceof Conv2d,
    validate: (layer, plan) => spec.validate(layer as Conv2d, plan),
    cost: (layer, plan, inputShape, { mode }) =>
      costInMode(
        mode,
        spec.cost(denseConvOptions(layer as Conv2d), plan, inputShape, `layer '${layer.name}' (${layer.kind})`),
      ),
    fromDense: (layer, plan, context) => spec.fromDense(layer as Conv2d, plan, context),
    candidateExecutions: () => ['factorized', 'reconstructed'],
  };
}

/** Reads the channel, geometry and bias fields of a factorized conv's config (CORRUPT_FILE when mistyped). */
export function convConfigFields(r: Record<string, unknown>): ConvFacts {
  return {
    inChannels: field(r, 'inChannels', isInt, 'an integer'),
    outChannels: field(r, 'outChannels', isInt, 'an integer'),
    kernelSize: field(r, 'kernelSize', isPair, 'a pair of integers'),
    stride: field(r, 'stride', isPair, 'a pair of integers'),
    padding: field(r, 'padding', isPadding, 'a padding'),
    dilation: field(r, 'dilation', isPair, 'a pair of integers'),
    bias: field(r, 'bias', isBool, 'a boolean'),
  };
}
