import * as tf from '@tensorflow/tfjs-core';
import { cpAls64, fromTf, Rng } from '@tnzip/tensor';
import { Conv2d } from '../layers/conv2d.js';
import type { ForwardContext, ModuleConfig, Shape } from '../module.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';
import { registerModule } from '../registry.js';
import { field, isInt, isMode } from './config-fields.js';
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
import { type ConvGeometry, checkImageShape, convOutHW, explicitPadding } from './geometry.js';
import type { FactorizedKind, KindCost } from './kind.js';
import { registerFactorizedKind } from './kind-registry.js';
import { makeParam, optionalBias, seededNormal } from './params.js';
import { checkFromDense, checkPlanRank } from './plan-checks.js';
import { addBias, pointwiseConv } from './pointwise.js';
import { type FusedActivation, reconstructedConvIf } from './reconstructed-forward.js';

/** Constructor options of {@link CPConv2d}. */
export interface CPConv2dOptions extends FactorizedConvOptions {
  /** CP rank R, an integer >= 1. */
  readonly rank: number;
}

/**
 * Checks a CP rank (INVALID_RANK): CP rank has no tight bound; the generic one (product of all
 * but the largest of `k_h, k_w, S, T`) keeps plans sane without rejecting useful over-complete ranks.
 */
export function checkCpRank(rank: unknown, kh: number, kw: number, s: number, t: number): number {
  const dims = [kh, kw, s, t].sort((a, b) => a - b);
  return checkPlanRank(rank, (dims[0] as number) * (dims[1] as number) * (dims[2] as number), 'rank');
}

/**
 * Cost of a CP conv: params `R·(S + k_h + k_w + T) (+T)`; MACs (factorized) `H·W·S·R + H'·W·R·k_h +
 * H'·W'·R·k_w + H'·W'·R·T` (the vertical pass runs on the unpadded width), dense `H'·W'·T·S·k_h·k_w`.
 */
export function cpCost(c: ConvFacts, r: number, inputShape: Shape, who: string): KindCost {
  const s = c.inChannels;
  const t = c.outChannels;
  const [h, w] = checkImageShape(inputShape, s, who);
  const [ho, wo] = convOutHW(h, w, c);
  const [kh, kw] = c.kernelSize;
  return {
    params: r * (s + kh + kw + t) + (c.bias ? t : 0),
    factorizedMacs: h * w * s * r + ho * w * r * kh + ho * wo * r * kw + ho * wo * r * t,
    denseMacs: ho * wo * kh * kw * s * t,
    outputShape: [ho, wo, t],
  };
}

/** Options of {@link CPConv2d.fromDense}. */
export interface CPFromDenseOptions {
  readonly mode?: ExecutionMode;
  /** CP-ALS sweeps (default 200), tolerance (default 1e-10) and seed (default 0). */
  readonly maxIter?: number;
  readonly tol?: number;
  readonly seed?: number;
}

/**
 * CP convolution (Lebedev et al. 2015): `K[i, j, s, t] = Σ_r V[i, r]·H[j, r]·F[s, r]·L[r, t]`, run as
 *
 * `1×1 (S→R) → k_h×1 depthwise (V) → 1×k_w depthwise (H) → 1×1 (R→T, bias)`.
 *
 * The stride, dilation and padding of the rows go to the vertical pass and those of the columns
 * to the horizontal one, so the output equals the dense conv's. The two depthwise passes are
 * written as k shifted slices, each scaled per channel and summed: every op in them (pad,
 * slice, reshape, mul, addN) has a registered gradient that runs on fast kernels on all
 * backends, whereas tfjs-backend-wasm has no depthwise-conv backprop kernels.
 *
 * Parameters: `first` `[S, R]` (F), `vertical` `[k_h, R]` (V), `horizontal` `[k_w, R]` (H),
 * `last` `[R, T]` (L = (λ ⊙ A_T)ᵀ), `bias` `[T]`.
 */
export class CPConv2d extends FactorizedModule {
  readonly kind = 'cp-conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly rank: number;
  readonly geometry: ConvGeometry;
  readonly first: tf.Variable;
  readonly vertical: tf.Variable;
  readonly horizontal: tf.Variable;
  readonly last: tf.Variable;
  readonly bias: tf.Variable | null;
  mode: ExecutionMode;

  constructor(name: string, options: CPConv2dOptions) {
    super(name);
    const { inChannels: s, outChannels: t, geometry, mode } = checkConvOptions(options);
    const [kh, kw] = geometry.kernelSize;
    this.rank = checkCpRank(options.rank, kh, kw, s, t);
    this.inChannels = s;
    this.outChannels = t;
    this.geometry = geometry;
    this.mode = mode;
    const r = this.rank;
    const rng = new Rng(options.seed ?? 0);
    const add = (key: string) => (v: tf.Tensor) => this.addParam(key, v);
    this.first = makeParam(add('first'), () => seededNormal([s, r], Math.sqrt(1 / s), rng));
    this.vertical = makeParam(add('vertical'), () => seededNormal([kh, r], Math.sqrt(1 / kh), rng));
    this.horizontal = makeParam(add('horizontal'), () => seededNormal([kw, r], Math.sqrt(1 / kw), rng));
    this.last = makeParam(add('last'), () => seededNormal([r, t], Math.sqrt(2 / r), rng));
    this.bias = optionalBias(options.bias, t, add('bias'));
  }

  /**
   * Initializes from CP-ALS (float64) of the pretrained kernel `[k_h, k_w, S, T]`.
   * Reads `layer.weight` synchronously: on webgpu, `await cacheOnCpu(layer)` first.
   */
  static fromDense(layer: Conv2d, plan: LayerPlan, options: CPFromDenseOptions = {}): CPConv2d {
    checkFromDense('CPConv2d', layer, Conv2d, 'Conv2d', plan, 'cp');
    const out = new CPConv2d(layer.name, {
      ...denseConvOptions(layer),
      rank: plan.rank,
      mode: options.mode ?? 'factorized',
    });
    const cp = cpAls64(fromTf(layer.weight, `${layer.name}.weight`), plan.rank, {
      maxIter: options.maxIter ?? 200,
      tol: options.tol ?? 1e-10,
      seed: options.seed ?? 0,
    });
    const [fh, fw, fs, ft] = cp.factors as [
      (typeof cp.factors)[number],
      (typeof cp.factors)[number],
      (typeof cp.factors)[number],
      (typeof cp.factors)[number],
    ];
    const r = plan.rank;
    const lastData = new Float32Array(r * layer.outChannels);
    for (let t = 0; t < layer.outChannels; t++)
      for (let k = 0; k < r; k++)
        lastData[k * layer.outChannels + t] = (cp.weights[k] as number) * (ft.data[t * r + k] as number);
    tf.tidy(() => {
      out.first.assign(tf.tensor2d(Float32Array.from(fs.data), [fs.rows, fs.cols]));
      out.vertical.assign(tf.tensor2d(Float32Array.from(fh.data), [fh.rows, fh.cols]));
      out.horizontal.assign(tf.tensor2d(Float32Array.from(fw.data), [fw.rows, fw.cols]));
      out.last.assign(tf.tensor2d(lastData, [r, layer.outChannels]));
      if (out.bias !== null && layer.bias !== null) out.bias.assign(layer.bias);
    });
    return out;
  }

  /** The dense kernel `[k_h, k_w, S, T]` (differentiable). */
  kernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const [kh, kw] = this.geometry.kernelSize;
      const r = this.rank;
      const krs = tf.mul(
        tf.mul(tf.reshape(this.vertical, [kh, 1, 1, r]), tf.reshape(this.horizontal, [1, kw, 1, r])),
        tf.reshape(this.first, [1, 1, this.inChannels, r]),
      );
      const w = fastMatMul(tf.reshape(krs, [kh * kw * this.inChannels, r]) as tf.Tensor2D, this.last as tf.Tensor2D);
      return tf.reshape(w, [kh, kw, this.inChannels, this.outChannels]) as tf.Tensor4D;
    });
  }

  /** The dense `Conv2d` with the reconstructed kernel (same name, geometry and bias). */
  toDense(): Conv2d {
    return denseConv2d(this.name, this.inChannels, this.outChannels, this.geometry, this.kernel(), this.bias);
  }

  protected kindCost(inputShape: Shape): KindCost {
    const facts = factorizedConvFacts(this);
    return cpCost(facts, this.rank, inputShape, `${this.kind} '${this.name}'`);
  }

  protected override reconstructedCall(x: tf.Tensor, activation: FusedActivation): tf.Tensor | null {
    return reconstructedConvIf(this, x, activation);
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [, h, w] = x.shape as [number, number, number, number];
    const g = this.geometry;
    const rebuilt = this.reconstructedCall(x, 'linear');
    if (rebuilt !== null) return rebuilt;
    const [ho, wo] = convOutHW(h, w, g);
    const [[pt, pb], [pl, pr]] = explicitPadding(g.padding, h, w, g);
    let y = pointwiseConv(x, this.first);
    y = depthwise1d(
      tf.pad(y, [
        [0, 0],
        [pt, pb],
        [0, 0],
        [0, 0],
      ]),
      this.vertical,
      1,
      ho,
      g.stride[0],
      g.dilation[0],
    );
    y = depthwise1d(
      tf.pad(y, [
        [0, 0],
        [0, 0],
        [pl, pr],
        [0, 0],
      ]),
      this.horizontal,
      2,
      wo,
      g.stride[1],
      g.dilation[1],
    );
    return addBias(pointwiseConv(y, this.last), this.bias);
  }

  config(): ModuleConfig {
    return {
      ...convConfig(this.kind, this.name, this.inChannels, this.outChannels, this.geometry, this.bias !== null),
      rank: this.rank,
      mode: this.mode,
    };
  }
}

/**
 * Per-channel 1-D correlation along `axis` (1 = rows, 2 = columns) of an already padded NHWC
 * tensor: `y[…, o, …, c] = Σ_a f[a, c] · x[…, o·stride + a·dilation, …, c]`, `outLen` outputs.
 */
function depthwise1d(
  x: tf.Tensor,
  f: tf.Tensor,
  axis: 1 | 2,
  outLen: number,
  stride: number,
  dilation: number,
): tf.Tensor {
  const k = f.shape[0] as number;
  const c = f.shape[1] as number;
  const span = (outLen - 1) * stride + 1;
  const taps: tf.Tensor[] = [];
  for (let a = 0; a < k; a++) {
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    begin[axis] = a * dilation;
    size[axis] = span;
    let s = tf.slice(x, begin, size);
    if (stride > 1) {
      // Every stride-th row: pad to outLen·stride, fold the stride into its own axis, keep index 0.
      const pads: Array<[number, number]> = [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      pads[axis] = [0, outLen * stride - span];
      // Rank 3 ([before, outLen, stride·after], keep the first `after` of the last axis): the
      // gradient of a rank-5 slice is a rank-5 pad, whose WGSL tfjs-backend-webgpu 4.22 cannot compile.
      const before = (s.shape.slice(0, axis) as number[]).reduce((a, b) => a * b, 1);
      const after = (s.shape.slice(axis + 1) as number[]).reduce((a, b) => a * b, 1);
      const folded = tf.reshape(tf.pad(s, pads), [before, outLen, stride * after]);
      const picked = tf.slice(folded, [0, 0, 0], [before, outLen, after]);
      const out = [...s.shape];
      out[axis] = outLen;
      s = tf.reshape(picked, out);
    }
    taps.push(tf.mul(s, tf.reshape(tf.slice(f, [a, 0], [1, c]), [c])));
  }
  return taps.length === 1 ? (taps[0] as tf.Tensor) : tf.addN(taps);
}

registerModule('cp-conv2d', (c) => {
  const r = c as Record<string, unknown>;
  return new CPConv2d(c.name, {
    ...convConfigFields(r),
    rank: field(r, 'rank', isInt, 'an integer'),
    mode: field(r, 'mode', isMode, "'factorized' | 'reconstructed' | 'auto'"),
  });
});

type CpPlan = Extract<LayerPlan, { kind: 'cp' }>;

/** CP of a Conv2d (plan `'cp'`). */
export const cpKind: FactorizedKind<CpPlan> = convKind<CpPlan>({
  planKind: 'cp',
  moduleKinds: ['cp-conv2d'],
  validate: (c, plan) => checkCpRank(plan.rank, c.kernelSize[0], c.kernelSize[1], c.inChannels, c.outChannels),
  cost: (c, plan, inputShape, who) => cpCost(c, plan.rank, inputShape, who),
  fromDense: (layer, plan, { mode, seed }) => CPConv2d.fromDense(layer, plan, { mode, seed }),
});

registerFactorizedKind(cpKind);
