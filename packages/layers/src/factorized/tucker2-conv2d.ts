import * as tf from '@tensorflow/tfjs-core';
import { fromTf, hosvd64, matrixToTf, Rng, TnzipError, transpose64 } from '@tnzip/tensor';
import { Conv2d } from '../layers/conv2d.js';
import type { ForwardContext, ModuleConfig, Shape } from '../module.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';
import { registerModule } from '../registry.js';
import { field, isMode } from './config-fields.js';
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
import { makeParam, optionalBias, seededNormal, tf64 } from './params.js';
import { checkFromDense, checkPlanRank } from './plan-checks.js';
import { addBias, pointwiseConv } from './pointwise.js';
import { type FusedActivation, reconstructedConvIf } from './reconstructed-forward.js';

/**
 * Checks Tucker-2 / Tucker-1 ranks against S and T (INVALID_RANK): each in `[1, S]` / `[1, T]` or
 * null (that mode not factorized), not both null.
 */
export function checkTucker2Ranks(
  s: number,
  t: number,
  rankS: unknown,
  rankT: unknown,
): [number | null, number | null] {
  if (rankS === null && rankT === null) {
    throw new TnzipError('INVALID_RANK', 'plan.rankS and plan.rankT cannot both be null (nothing would be factorized)');
  }
  return [
    rankS === null ? null : checkPlanRank(rankS, s, 'rankS'),
    rankT === null ? null : checkPlanRank(rankT, t, 'rankT'),
  ];
}

/**
 * Cost of a Tucker-2 / Tucker-1 conv (papers.md §5): params `S·R_S + R_S·R_T·k_h·k_w + R_T·T (+T)`;
 * MACs (factorized) `H·W·S·R_S + H'·W'·R_S·R_T·k_h·k_w + H'·W'·R_T·T` (the first 1×1 at input
 * resolution; a null rank drops its 1×1), dense `H'·W'·T·S·k_h·k_w`.
 *
 * @param inputShape `[H, W, S]` (SHAPE_MISMATCH otherwise, the message prefixed by `who`)
 */
export function tucker2Cost(
  c: ConvFacts,
  rankS: number | null,
  rankT: number | null,
  inputShape: Shape,
  who: string,
): KindCost {
  const s = c.inChannels;
  const t = c.outChannels;
  const [h, w] = checkImageShape(inputShape, s, who);
  const [ho, wo] = convOutHW(h, w, c);
  const [kh, kw] = c.kernelSize;
  const a = rankS ?? s;
  const b = rankT ?? t;
  return {
    params: (rankS === null ? 0 : s * a) + kh * kw * a * b + (rankT === null ? 0 : b * t) + (c.bias ? t : 0),
    factorizedMacs:
      (rankS === null ? 0 : h * w * s * a) + ho * wo * kh * kw * a * b + (rankT === null ? 0 : ho * wo * b * t),
    denseMacs: ho * wo * kh * kw * s * t,
    outputShape: [ho, wo, t],
  };
}

/** Constructor options of {@link Tucker2Conv2d}. */
export interface Tucker2Conv2dOptions extends FactorizedConvOptions {
  /** Rank of the input-channel mode, or null: no first 1×1 (Tucker-1 on T). */
  readonly rankS: number | null;
  /** Rank of the output-channel mode, or null: no last 1×1 (Tucker-1 on S). */
  readonly rankT: number | null;
}

/**
 * Tucker-2 convolution (Kim et al., ICLR 2016): the kernel `K[i, j, s, t]` (tfjs layout
 * `[k_h, k_w, S, T]`) is `Σ_{a,b} U_S[s, a] · C[i, j, a, b] · U_T[t, b]`, run as
 *
 * `1×1 (S→R_S, no bias) → k_h×k_w (R_S→R_T, the original stride/padding/dilation) → 1×1 (R_T→T, bias)`.
 *
 * With `rankS` or `rankT` null that mode is not factorized (Tucker-1) and its 1×1 is absent.
 *
 * Parameters: `first` `[S, R_S]` (= U_S), `core` `[k_h, k_w, R_S, R_T]`, `last` `[R_T, T]` (= U_Tᵀ),
 * `bias` `[T]`. The 1×1 convs run as plain matMuls on `[N·H·W, C]`, which is the same maths.
 */
export class Tucker2Conv2d extends FactorizedModule {
  readonly kind = 'tucker2-conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly rankS: number | null;
  readonly rankT: number | null;
  readonly geometry: ConvGeometry;
  /** `[S, R_S]` or null. */
  readonly first: tf.Variable | null;
  /** `[k_h, k_w, R_S, R_T]` (S / T in place of a null rank). */
  readonly core: tf.Variable;
  /** `[R_T, T]` or null. */
  readonly last: tf.Variable | null;
  readonly bias: tf.Variable | null;
  mode: ExecutionMode;

  constructor(name: string, options: Tucker2Conv2dOptions) {
    super(name);
    const { inChannels: s, outChannels: t, geometry, mode } = checkConvOptions(options);
    const [rs, rt] = checkTucker2Ranks(s, t, options.rankS, options.rankT);
    this.inChannels = s;
    this.outChannels = t;
    this.rankS = rs;
    this.rankT = rt;
    this.geometry = geometry;
    this.mode = mode;
    const [kh, kw] = geometry.kernelSize;
    const a = rs ?? s;
    const b = rt ?? t;
    const rng = new Rng(options.seed ?? 0);
    const add = (key: string) => (v: tf.Tensor) => this.addParam(key, v);
    const withInit = (key: string, shape: number[], fanIn: number): tf.Variable =>
      makeParam(add(key), () => seededNormal(shape, Math.sqrt(2 / fanIn), rng));
    this.first = rs === null ? null : withInit('first', [s, rs], s);
    this.core = withInit('core', [kh, kw, a, b], kh * kw * a);
    this.last = rt === null ? null : withInit('last', [rt, t], rt);
    this.bias = optionalBias(options.bias, t, add('bias'));
  }

  /**
   * Decomposes a pretrained conv by partial HOSVD (float64) of its kernel over the S and T modes:
   * `U_S`, `U_T` are the leading left singular vectors of the mode unfoldings and
   * `C = K ×_S U_Sᵀ ×_T U_Tᵀ`. At full ranks the layer computes exactly the dense conv.
   * Reads `layer.weight` synchronously: on webgpu, `await cacheOnCpu(layer)` first.
   */
  static fromDense(layer: Conv2d, plan: LayerPlan, options: { mode?: ExecutionMode } = {}): Tucker2Conv2d {
    checkFromDense('Tucker2Conv2d', layer, Conv2d, 'Conv2d', plan, 'tucker2');
    const out = new Tucker2Conv2d(layer.name, {
      ...denseConvOptions(layer),
      rankS: plan.rankS,
      rankT: plan.rankT,
      mode: options.mode ?? 'factorized',
    });
    const modes: number[] = [];
    const ranks: number[] = [];
    if (plan.rankS !== null) {
      modes.push(2);
      ranks.push(plan.rankS);
    }
    if (plan.rankT !== null) {
      modes.push(3);
      ranks.push(plan.rankT);
    }
    const dec = hosvd64(fromTf(layer.weight, `${layer.name}.weight`), ranks, { modes });
    tf.tidy(() => {
      out.core.assign(tf64(dec.core) as tf.Tensor4D);
      const [f0, f1] = dec.factors;
      if (out.first !== null && f0 !== undefined) out.first.assign(matrixToTf(f0));
      const uT = out.first === null ? f0 : f1;
      if (out.last !== null && uT !== undefined) out.last.assign(matrixToTf(transpose64(uT)));
      if (out.bias !== null && layer.bias !== null) out.bias.assign(layer.bias);
    });
    return out;
  }

  /** The dense kernel `[k_h, k_w, S, T]` rebuilt from the factors (differentiable). */
  kernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const [kh, kw] = this.geometry.kernelSize;
      let w: tf.Tensor = this.core;
      let a = this.rankS ?? this.inChannels;
      const b = this.rankT ?? this.outChannels;
      if (this.first !== null) {
        const c = tf.reshape(tf.transpose(w, [2, 0, 1, 3]), [a, kh * kw * b]);
        const y = fastMatMul(this.first as tf.Tensor2D, c as tf.Tensor2D);
        a = this.inChannels;
        w = tf.transpose(tf.reshape(y, [a, kh, kw, b]), [1, 2, 0, 3]);
      }
      if (this.last !== null) {
        const y = fastMatMul(tf.reshape(w, [kh * kw * a, b]) as tf.Tensor2D, this.last as tf.Tensor2D);
        w = tf.reshape(y, [kh, kw, a, this.outChannels]);
      }
      return w as tf.Tensor4D;
    });
  }

  /** A dense Conv2d with the reconstructed kernel and the same bias (new variables). */
  toDense(): Conv2d {
    return denseConv2d(this.name, this.inChannels, this.outChannels, this.geometry, this.kernel(), this.bias);
  }

  protected kindCost(inputShape: Shape): KindCost {
    const facts = factorizedConvFacts(this);
    return tucker2Cost(facts, this.rankS, this.rankT, inputShape, `${this.kind} '${this.name}'`);
  }

  protected override reconstructedCall(x: tf.Tensor, activation: FusedActivation): tf.Tensor | null {
    return reconstructedConvIf(this, x, activation);
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const g = this.geometry;
    const conv = { stride: g.stride as [number, number], padding: g.padding, dilation: g.dilation as [number, number] };
    const rebuilt = this.reconstructedCall(x, 'linear');
    if (rebuilt !== null) return rebuilt;
    const z = this.first === null ? x : pointwiseConv(x, this.first);
    const y = fastConv2d(z as tf.Tensor4D, this.core as tf.Tensor4D, conv);
    return addBias(this.last === null ? y : pointwiseConv(y, this.last), this.bias);
  }

  config(): ModuleConfig {
    return {
      ...convConfig(this.kind, this.name, this.inChannels, this.outChannels, this.geometry, this.bias !== null),
      rankS: this.rankS,
      rankT: this.rankT,
      mode: this.mode,
    };
  }
}

const isRankOrNull = (v: unknown): boolean => v === null || (Number.isInteger(v) && (v as number) >= 1);

registerModule('tucker2-conv2d', (c) => {
  const r = c as Record<string, unknown>;
  return new Tucker2Conv2d(c.name, {
    ...convConfigFields(r),
    rankS: field(r, 'rankS', isRankOrNull, 'an integer >= 1 or null'),
    rankT: field(r, 'rankT', isRankOrNull, 'an integer >= 1 or null'),
    mode: field(r, 'mode', isMode, "'factorized' | 'reconstructed' | 'auto'"),
  });
});

type Tucker2Plan = Extract<LayerPlan, { kind: 'tucker2' }>;
type TuckerPlan = Extract<LayerPlan, { kind: 'tucker' }>;

/** Tucker-2 / Tucker-1 of a Conv2d (plan `'tucker2'`). */
export const tucker2Kind: FactorizedKind<Tucker2Plan> = convKind<Tucker2Plan>({
  planKind: 'tucker2',
  moduleKinds: ['tucker2-conv2d'],
  validate: (c, plan) => {
    checkTucker2Ranks(c.inChannels, c.outChannels, plan.rankS, plan.rankT);
  },
  cost: (c, plan, inputShape, who) => tucker2Cost(c, plan.rankS, plan.rankT, inputShape, who),
  fromDense: (layer, plan, { mode }) => Tucker2Conv2d.fromDense(layer, plan, { mode }),
});

/**
 * Full Tucker of a conv kernel `[k_h, k_w, S, T]` that keeps the spatial modes whole is Tucker-2:
 * the one adapter from plan `'tucker'` (ranks `[k_h, k_w, R_S, R_T]`) to `'tucker2'`.
 *
 * @throws TnzipError INVALID_RANK (not 4 ranks), INVALID_ARGUMENT (spatial ranks ≠ kernel size)
 */
export function tuckerAsTucker2(layer: Conv2d, plan: TuckerPlan): Tucker2Plan {
  const [kh, kw] = layer.kernelSize;
  const r = plan.ranks;
  if (!Array.isArray(r) || r.length !== 4)
    throw new TnzipError(
      'INVALID_RANK',
      `layer '${layer.name}' (${layer.kind}): plan.ranks must have 4 entries [k_h, k_w, R_S, R_T], got ${JSON.stringify(r)}`,
    );
  if (r[0] !== kh || r[1] !== kw) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `layer '${layer.name}' (${layer.kind}): plan.ranks[0..1] must equal the kernel size ${kh}, ${kw} (spatial modes are not factorized), got ${r[0]}, ${r[1]}`,
    );
  }
  return { kind: 'tucker2', rankS: r[2] as number, rankT: r[3] as number };
}

/** Full Tucker of a Conv2d (plan `'tucker'`), built as Tucker-2 by {@link tuckerAsTucker2}. */
export const tuckerKind: FactorizedKind<TuckerPlan> = {
  planKind: 'tucker',
  moduleKinds: ['tucker2-conv2d'],
  appliesTo: (layer) => layer instanceof Conv2d,
  validate: (layer, plan) => tucker2Kind.validate(layer, tuckerAsTucker2(layer as Conv2d, plan)),
  cost: (layer, plan, inputShape, options) =>
    tucker2Kind.cost(layer, tuckerAsTucker2(layer as Conv2d, plan), inputShape, options),
  fromDense: (layer, plan, context) => tucker2Kind.fromDense(layer, tuckerAsTucker2(layer as Conv2d, plan), context),
};

registerFactorizedKind(tucker2Kind);
registerFactorizedKind(tuckerKind);
