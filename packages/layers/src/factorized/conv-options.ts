import { checkInt } from '@tnzip/tensor';
import type { ExecutionMode } from '../plan.js';
import type { ConvGeometry, PaddingSpec } from './geometry.js';
import { checkMode } from './plan-checks.js';

/* The constructor options every factorized conv (Tucker-2, CP, TT) shares, and their checks. */

/** Constructor options shared by the factorized convs; each layer's options extend them with its ranks. */
export interface FactorizedConvOptions {
  /** Input channels S, an integer >= 1. */
  readonly inChannels: number;
  /** Output channels T, an integer >= 1. */
  readonly outChannels: number;
  /** `[k_h, k_w]`. */
  readonly kernelSize: readonly [number, number];
  /** Default `[1, 1]`. */
  readonly stride?: readonly [number, number];
  /** Default 'valid'. */
  readonly padding?: PaddingSpec;
  /** Default `[1, 1]`. */
  readonly dilation?: readonly [number, number];
  /** Whether the layer adds a bias `[T]` to its output. Default true. */
  readonly bias?: boolean;
  /** Execution mode. Default 'factorized'. */
  readonly mode?: ExecutionMode;
  /** Seed of the random init (used when the layer is not built by its `fromDense`). Default 0. */
  readonly seed?: number;
}

/** The shared options of a factorized conv once checked, defaults filled in. */
export interface CheckedConvOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  /** A copy of the options' geometry. */
  readonly geometry: ConvGeometry;
  readonly mode: ExecutionMode;
}

/**
 * Checks the shared options of a factorized conv: channels integers >= 1 (INVALID_ARGUMENT naming
 * `inChannels` / `outChannels`) and `options.mode` (INVALID_ARGUMENT); fills the defaults (stride
 * and dilation `[1, 1]`, padding 'valid', mode 'factorized'). Draws nothing from the layer's `Rng`.
 */
export function checkConvOptions(options: FactorizedConvOptions): CheckedConvOptions {
  const { inChannels, outChannels } = options;
  checkInt(inChannels, 'inChannels', 1);
  checkInt(outChannels, 'outChannels', 1);
  const [kh, kw] = options.kernelSize;
  return {
    inChannels,
    outChannels,
    geometry: {
      kernelSize: [kh, kw],
      stride: [...(options.stride ?? [1, 1])] as [number, number],
      padding: options.padding ?? 'valid',
      dilation: [...(options.dilation ?? [1, 1])] as [number, number],
    },
    mode: checkMode(options.mode ?? 'factorized', 'options.mode'),
  };
}
