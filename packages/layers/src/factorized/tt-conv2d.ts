import * as tf from '@tensorflow/tfjs-core';
import {
  fromTf,
  permute64,
  Rng,
  sizeOf,
  type Tensor64,
  TnzipError,
  ttContract,
  ttContractMacs,
  ttRankBounds,
  ttSvd64,
} from '@tnzip/tensor';
import { Conv2d } from '../layers/conv2d.js';
import type { ForwardContext, ModuleConfig, Shape } from '../module.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';
import { registerModule } from '../registry.js';
import { field, isIntList, isMode } from './config-fields.js';
import { checkConvOptions, type FactorizedConvOptions } from './conv-options.js';
import {
  type ConvFacts,
  convConfig,
  convConfigFields,
  convKind,
  denseConv2d,
  denseConvOptions,
  factorizedConvFacts,
} from './dense-conv.js';
import { FactorizedModule } from './factorized-module.js';
import { type ConvGeometry, checkImageShape, convOutHW } from './geometry.js';
import type { FactorizedKind, KindCost } from './kind.js';
import { registerFactorizedKind } from './kind-registry.js';
import { makeParam, optionalBias, reshape64, seededNormal, tf64 } from './params.js';
import { checkDims, checkFromDense, checkPlanRank } from './plan-checks.js';
import { addBias } from './pointwise.js';
import { type FusedActivation, reconstructedConvIf } from './reconstructed-forward.js';

/** Constructor options of {@link TTConv2d}. */
export interface TTConv2dOptions extends FactorizedConvOptions {
  /** Factorization of T (output channels), `t_1…t_m`. */
  readonly rowDims: readonly number[];
  /** Factorization of S (input channels), `s_1…s_n`. */
  readonly colDims: readonly number[];
  /** The `n + m` internal ranks of the chain `s_1…s_n, k_h·k_w, t_1…t_m`. */
  readonly ranks: readonly number[];
}

/** Mode sizes of the TT chain of a conv kernel: `[s_1…s_n, k_h·k_w, t_1…t_m]`. */
function chainDims(colDims: readonly number[], kh: number, kw: number, rowDims: readonly number[]): number[] {
  return [...colDims, kh * kw, ...rowDims];
}

/**
 * Checks a TT-conv plan against S, T and the kernel: `colDims` factor S, `rowDims` factor T
 * (SHAPE_MISMATCH), `ranks` the `n + m` internal ranks of the chain within their TT bounds
 * (INVALID_RANK). Returns copies of the three lists.
 */
export function checkTTConvPlan(
  s: number,
  t: number,
  kh: number,
  kw: number,
  plan: { readonly rowDims: unknown; readonly colDims: unknown; readonly ranks: unknown },
): { colDims: number[]; rowDims: number[]; ranks: number[] } {
  const colDims = checkDims(plan.colDims, s, 'colDims');
  const rowDims = checkDims(plan.rowDims, t, 'rowDims');
  const bounds = ttRankBounds(chainDims(colDims, kh, kw, rowDims));
  const ranks = plan.ranks;
  if (!Array.isArray(ranks) || ranks.length !== bounds.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `plan.ranks must list ${bounds.length} internal ranks (colDims.length + rowDims.length) for the chain [s…, k_h·k_w, t…], got ${JSON.stringify(ranks)}`,
    );
  }
  ranks.forEach((r, k) => {
    checkPlanRank(r, bounds[k] as number, `ranks[${k}]`);
  });
  return { colDims, rowDims, ranks: [...(ranks as number[])] };
}

/**
 * Cost of a TT conv (chain `[s_1…s_n, k_h·k_w, t_1…t_m]`, validated ranks): params
 * `Σ_a r_{a-1}·s_a·r_a + k_h·k_w·r_n·r_{n+1} + Σ_b r·t_b·r' (+T)`; MACs (factorized)
 * `H·W·Σ_a r_{a-1}·r_a·s_a·Π_{i>a} s_i + H'·W'·k_h·k_w·r_n·r_{n+1} + H'·W'·Σ_b r·r'·t_b·Π_{i<b} t_i`
 * (the input side at input resolution), dense `H'·W'·T·S·k_h·k_w`.
 */
export function ttConvCost(
  c: ConvFacts,
  rowDims: readonly number[],
  colDims: readonly number[],
  ranks: readonly number[],
  inputShape: Shape,
  who: string,
): KindCost {
  const [kh, kw] = c.kernelSize;
  const full = [1, ...ranks, 1];
  const n = colDims.length;
  const inShapes = colDims.map((sa, a) => [full[a] as number, 1, sa, full[a + 1] as number]);
  const outShapes = rowDims.map((tb, b) => [full[n + 1 + b] as number, tb, 1, full[n + 2 + b] as number]);
  const rn = full[n] as number;
  const rn1 = full[n + 1] as number;
  const [h, w] = checkImageShape(inputShape, c.inChannels, who);
  const [ho, wo] = convOutHW(h, w, c);
  const coreParams = (shapes: number[][]): number => shapes.reduce((acc, sh) => acc + sizeOf(sh), 0);
  return {
    params: coreParams(inShapes) + kh * kw * rn * rn1 + coreParams(outShapes) + (c.bias ? c.outChannels : 0),
    factorizedMacs:
      h * w * ttContractMacs(inShapes) + ho * wo * kh * kw * rn * rn1 + ho * wo * ttContractMacs(outShapes),
    denseMacs: ho * wo * kh * kw * c.inChannels * c.outChannels,
    outputShape: [ho, wo, c.outChannels],
  };
}

/**
 * TT convolution, "M" layout (Yin et al. CVPR 2021 code; papers.md §1.7 and §2.2 (B)): the kernel,
 * permuted to `[S, k_h·k_w, T]` and reshaped to `[s_1, …, s_n, k_h·k_w, t_1, …, t_m]` (S and T
 * multi-indices in C order), is a TT tensor with ranks `(1, r_1, …, r_{n+m}, 1)`:
 *
 * - input cores `in{a}` `[r_{a-1}, s_a, r_a]` (a = 1…n),
 * - the spatial core `spatial` `[k_h, k_w, r_n, r_{n+1}]` (a k_h×k_w conv filter),
 * - output cores `out{b}` `[r_{n+b}, t_b, r_{n+b+1}]` (b = 1…m).
 *
 * 'factorized' runs input-side TT contractions (per pixel, `S → r_n`) → the k_h×k_w conv
 * (`r_n → r_{n+1}`, original stride/padding/dilation) → output-side contractions
 * (`r_{n+1} → T`) + bias, so its MAC saving is real; 'reconstructed' rebuilds the kernel.
 * This layout was chosen over Garipov's (A), whose `s_k·t_k` modes cannot be executed as a
 * chain of small ops around one conv. `rowDims`/`colDims` may have different lengths.
 */
export class TTConv2d extends FactorizedModule {
  readonly kind = 'tt-conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly rowDims: readonly number[];
  readonly colDims: readonly number[];
  readonly ranks: readonly number[];
  readonly geometry: ConvGeometry;
  readonly inCores: readonly tf.Variable[];
  readonly spatial: tf.Variable;
  readonly outCores: readonly tf.Variable[];
  readonly bias: tf.Variable | null;
  mode: ExecutionMode;

  constructor(name: string, options: TTConv2dOptions) {
    super(name);
    const { inChannels: s, outChannels: t, geometry, mode } = checkConvOptions(options);
    const [kh, kw] = geometry.kernelSize;
    const { colDims: cd, rowDims: rd, ranks } = checkTTConvPlan(s, t, kh, kw, options);
    this.inChannels = s;
    this.outChannels = t;
    this.colDims = cd;
    this.rowDims = rd;
    this.ranks = [...ranks];
    this.geometry = geometry;
    this.mode = mode;
    const full = [1, ...ranks, 1];
    const n = cd.length;
    const rng = new Rng(options.seed ?? 0);
    // Var(W) ≈ 2/fan_in when each core's entries have variance 1/(mode size · incoming rank),
    // the spatial one 2/(k_h·k_w·r_n).
    this.inCores = cd.map((sa, a) =>
      makeParam(
        (v) => this.addParam(`in${a}`, v),
        () => seededNormal([full[a] as number, sa, full[a + 1] as number], Math.sqrt(1 / (full[a] as number)), rng),
      ),
    );
    const rn = full[n] as number;
    const rn1 = full[n + 1] as number;
    this.spatial = makeParam(
      (v) => this.addParam('spatial', v),
      () => seededNormal([kh, kw, rn, rn1], Math.sqrt(2 / (kh * kw * rn * s)), rng),
    );
    this.outCores = rd.map((tb, b) =>
      makeParam(
        (v) => this.addParam(`out${b}`, v),
        () =>
          seededNormal(
            [full[n + 1 + b] as number, tb, full[n + 2 + b] as number],
            Math.sqrt(1 / (full[n + 1 + b] as number)),
            rng,
          ),
      ),
    );
    this.bias = optionalBias(options.bias, t, (v) => this.addParam('bias', v));
  }

  /**
   * TT-SVD (float64) of the pretrained kernel in the layout above; exact at full ranks.
   * Reads `layer.weight` synchronously: on webgpu, `await cacheOnCpu(layer)` first.
   */
  static fromDense(layer: Conv2d, plan: LayerPlan, options: { mode?: ExecutionMode } = {}): TTConv2d {
    checkFromDense('TTConv2d', layer, Conv2d, 'Conv2d', plan, 'tt');
    const out = new TTConv2d(layer.name, {
      ...denseConvOptions(layer),
      rowDims: plan.rowDims,
      colDims: plan.colDims,
      ranks: plan.ranks,
      mode: options.mode ?? 'factorized',
    });
    const [kh, kw] = layer.kernelSize;
    const k = permute64(fromTf(layer.weight, `${layer.name}.weight`), [2, 0, 1, 3]);
    const tt = ttSvd64(reshape64(k, chainDims(plan.colDims, kh, kw, plan.rowDims)), { ranks: plan.ranks });
    const n = plan.colDims.length;
    tf.tidy(() => {
      out.inCores.forEach((v, a) => {
        v.assign(tf64(tt.cores[a] as Tensor64));
      });
      const sp = tt.cores[n] as Tensor64;
      const [r0, , r1] = sp.shape as [number, number, number];
      out.spatial.assign(tf64(permute64(sp, [1, 0, 2]), [kh, kw, r0, r1]));
      out.outCores.forEach((v, b) => {
        v.assign(tf64(tt.cores[n + 1 + b] as Tensor64));
      });
      if (out.bias !== null && layer.bias !== null) out.bias.assign(layer.bias);
    });
    return out;
  }

  /** Input cores as TT-matrix cores `[r, 1, s_a, r']` (no output index). */
  private inChain(): tf.Tensor[] {
    return this.inCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, 1, c.shape[1] as number, c.shape[2] as number]),
    );
  }

  /** Output cores as TT-matrix cores `[r, t_b, 1, r']` (no input index). */
  private outChain(): tf.Tensor[] {
    return this.outCores.map((c) =>
      tf.reshape(c, [c.shape[0] as number, c.shape[1] as number, 1, c.shape[2] as number]),
    );
  }

  /** The dense kernel `[k_h, k_w, S, T]` (differentiable). */
  kernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const [kh, kw] = this.geometry.kernelSize;
      const s = this.inChannels;
      // U [S, r_n]: the input side alone, contracted with the identity on S.
      const u = ttContract(tf.eye(s), this.inChain(), fastMatMul);
      const [, , rn, rn1] = this.spatial.shape as [number, number, number, number];
      const sp = tf.reshape(tf.transpose(this.spatial, [2, 0, 1, 3]), [rn, kh * kw * rn1]);
      const us = tf.reshape(fastMatMul(u, sp as tf.Tensor2D), [s * kh * kw, rn1]);
      // V [r_{n+1}, T]: the output side applied to the identity on r_{n+1}.
      const v = ttContract(tf.eye(rn1), this.outChain(), fastMatMul);
      const w = fastMatMul(us as tf.Tensor2D, v);
      return tf.transpose(tf.reshape(w, [s, kh, kw, this.outChannels]), [1, 2, 0, 3]) as tf.Tensor4D;
    });
  }

  /** The dense `Conv2d` with the reconstructed kernel (same name, geometry and bias). */
  toDense(): Conv2d {
    return denseConv2d(this.name, this.inChannels, this.outChannels, this.geometry, this.kernel(), this.bias);
  }

  protected kindCost(inputShape: Shape): KindCost {
    const facts = factorizedConvFacts(this);
    return ttConvCost(facts, this.rowDims, this.colDims, this.ranks, inputShape, `${this.kind} '${this.name}'`);
  }

  protected override reconstructedCall(x: tf.Tensor, activation: FusedActivation): tf.Tensor | null {
    return reconstructedConvIf(this, x, activation);
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [n, h, w] = x.shape as [number, number, number, number];
    const g = this.geometry;
    const conv = { stride: g.stride, padding: g.padding, dilation: g.dilation };
    const rebuilt = this.reconstructedCall(x, 'linear');
    if (rebuilt !== null) return rebuilt;
    const [, , rn, rn1] = this.spatial.shape as [number, number, number, number];
    const z = ttContract(tf.reshape(x, [n * h * w, this.inChannels]), this.inChain(), fastMatMul);
    const c = fastConv2d(tf.reshape(z, [n, h, w, rn]) as tf.Tensor4D, this.spatial as tf.Tensor4D, conv);
    const [, ho, wo] = c.shape;
    const y = tf.reshape(ttContract(tf.reshape(c, [n * ho * wo, rn1]), this.outChain(), fastMatMul), [
      n,
      ho,
      wo,
      this.outChannels,
    ]);
    return addBias(y, this.bias);
  }

  config(): ModuleConfig {
    return {
      ...convConfig(this.kind, this.name, this.inChannels, this.outChannels, this.geometry, this.bias !== null),
      rowDims: [...this.rowDims],
      colDims: [...this.colDims],
      ranks: [...this.ranks],
      mode: this.mode,
    };
  }
}

registerModule('tt-conv2d', (c) => {
  const r = c as Record<string, unknown>;
  return new TTConv2d(c.name, {
    ...convConfigFields(r),
    rowDims: field(r, 'rowDims', isIntList, 'a list of positive integers'),
    colDims: field(r, 'colDims', isIntList, 'a list of positive integers'),
    ranks: field(r, 'ranks', isIntList, 'a list of positive integers'),
    mode: field(r, 'mode', isMode, "'factorized' | 'reconstructed' | 'auto'"),
  });
});

type TTPlan = Extract<LayerPlan, { kind: 'tt' }>;

/** TT of a Conv2d (plan `'tt'` on a conv; the Linear case is `ttLinearKind`). */
export const ttConvKind: FactorizedKind<TTPlan> = convKind<TTPlan>({
  planKind: 'tt',
  moduleKinds: ['tt-conv2d'],
  validate: (c, plan) => {
    checkTTConvPlan(c.inChannels, c.outChannels, c.kernelSize[0], c.kernelSize[1], plan);
  },
  cost: (c, plan, inputShape, who) => ttConvCost(c, plan.rowDims, plan.colDims, plan.ranks, inputShape, who),
  fromDense: (layer, plan, { mode }) => TTConv2d.fromDense(layer, plan, { mode }),
});

registerFactorizedKind(ttConvKind);
