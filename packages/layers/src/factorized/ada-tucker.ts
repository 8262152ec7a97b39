import * as tf from '@tensorflow/tfjs-core';
import { hosvd64, matrixToTf, Rng, sizeOf, type Tensor64, TnzipError, tuckerRebuild } from '@tnzip/tensor';
import { expectBatch } from '../layers/checks.js';
import { Conv2d } from '../layers/conv2d.js';
import { type Epilogue, type Fusible, foldedParams, releaseFold } from '../layers/fusion.js';
import { Linear } from '../layers/linear.js';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import type { LayerPlan } from '../plan.js';
import { registerModule } from '../registry.js';
import { field, isBool, isIntList, isRecord } from './config-fields.js';
import { checkFeatureShape, checkImageShape, convOutHW, type PaddingSpec } from './geometry.js';
import type { BuiltLayer, FactorizedKind, KindCost } from './kind.js';
import { registerFactorizedKind } from './kind-registry.js';
import { makeParam, norm64, optionalBias, paddedWeight64, tf64 } from './params.js';
import { checkDims, checkPlanRank } from './plan-checks.js';
import { addBias } from './pointwise.js';
import { fusedConvExplicit } from './reconstructed-forward.js';
import { fitScadaGroup } from './scada-fit.js';
import { adaCoreShape, SharedCore, type SharedCoreUser } from './shared-core.js';

/** The dense layer an ADA-Tucker layer stands for (its weight shape and how it runs). */
export type AdaTarget =
  | {
      readonly type: 'conv2d';
      readonly inChannels: number;
      readonly outChannels: number;
      readonly kernelSize: readonly [number, number];
      readonly stride: readonly [number, number];
      readonly padding: PaddingSpec;
      readonly dilation: readonly [number, number];
    }
  | { readonly type: 'linear'; readonly inFeatures: number; readonly outFeatures: number };

/** The {@link AdaTarget} of a dense Conv2d or Linear (INVALID_ARGUMENT naming `who` for any other layer). */
export function adaTargetOf(layer: Module, who: string): AdaTarget {
  if (layer instanceof Conv2d) {
    return {
      type: 'conv2d',
      inChannels: layer.inChannels,
      outChannels: layer.outChannels,
      kernelSize: layer.kernelSize,
      stride: layer.stride,
      padding: layer.padding,
      dilation: layer.dilation,
    };
  }
  if (layer instanceof Linear) return { type: 'linear', inFeatures: layer.inFeatures, outFeatures: layer.outFeatures };
  throw new TnzipError('INVALID_ARGUMENT', `${who}: layer '${(layer as Module).name}' must be a Conv2d or a Linear`);
}

/**
 * Checks ADA/SCADA dims and ranks against a weight of `size` entries: `dims` positive integers
 * with product >= size (SHAPE_MISMATCH), one rank per dim in `[1, dims[i]]` (INVALID_RANK).
 */
export function checkAdaPlan(size: number, dims: unknown, ranks: unknown): { dims: number[]; ranks: number[] } {
  const d = checkDims(dims, size, 'dims', true);
  if (!Array.isArray(ranks) || ranks.length !== d.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `plan.ranks must have one rank per entry of plan.dims (${d.length}), got ${JSON.stringify(ranks)}`,
    );
  }
  ranks.forEach((r, i) => {
    checkPlanRank(r, d[i] as number, `ranks[${i}]`);
  });
  return { dims: d, ranks: [...(ranks as number[])] };
}

/**
 * Cost of an ADA / SCADA-Tucker layer (papers.md §5): params `Π r_i + Σ_i m_i·r_i (+T)` for
 * ADA-Tucker; a SCADA layer counts its factors, its scale and its bias, plus `Π r_i` only when it
 * counts the group's core (its owner). MACs: those of the dense op in either execution (the
 * per-batch rebuild is not counted per example) — ADA-Tucker compresses storage, not compute.
 */
export function adaCost(
  t: AdaTarget,
  dims: readonly number[],
  ranks: readonly number[],
  o: { bias: boolean; scada: boolean; countsCore: boolean; inputShape: Shape; who: string },
): KindCost {
  let macs: number;
  let outputShape: number[];
  if (t.type === 'conv2d') {
    const [h, w] = checkImageShape(o.inputShape, t.inChannels, o.who);
    const [ho, wo] = convOutHW(h, w, t);
    macs = ho * wo * t.kernelSize[0] * t.kernelSize[1] * t.inChannels * t.outChannels;
    outputShape = [ho, wo, t.outChannels];
  } else {
    checkFeatureShape(o.inputShape, t.inFeatures, o.who);
    macs = t.inFeatures * t.outFeatures;
    outputShape = [t.outFeatures];
  }
  const factorParams = dims.reduce((a, m, i) => a + m * (ranks[i] as number), 0);
  const params =
    factorParams +
    (o.countsCore ? sizeOf(ranks) : 0) +
    (o.scada ? 1 : 0) +
    (o.bias ? (outputShape[outputShape.length - 1] as number) : 0);
  return { params, factorizedMacs: macs, denseMacs: macs, outputShape };
}

/** Constructor options of {@link AdaTuckerLayer}. */
export interface AdaTuckerOptions {
  readonly target: AdaTarget;
  readonly bias?: boolean;
  /** The balanced reshape of the weight; product >= weight size (extra entries are cropped). */
  readonly dims: readonly number[];
  /** Core ranks, `ranks[i]` in `[1, dims[i]]`. */
  readonly ranks: readonly number[];
  /**
   * SCADA group. With a group the core lives in a {@link SharedCore}: this layer owns it when
   * `ownsCore` is true (the first layer of the group), else it is bound by `linkSharedCores`.
   */
  readonly group?: string | null;
  readonly ownsCore?: boolean;
  /** Seed of the random init (orthonormal factors, He-scaled core). Default 0. */
  readonly seed?: number;
}

/**
 * How an ADA/SCADA layer starts from a pretrained weight:
 * - `'decompose'` (default): truncated HOSVD of the reshaped weight (least squares; a SCADA group's
 *   core is fitted to all its layers, each layer's scale by least squares);
 * - `'decompose-norm'`: the same, each rebuilt weight then scaled to the dense weight's Frobenius
 *   norm (a crude approximation keeps the signal's magnitude instead of shrinking it);
 * - `'random'`: seeded orthonormal factors and a He-scaled core (training from scratch).
 */
export type AdaInit = 'decompose' | 'decompose-norm' | 'random';

/** The values of {@link AdaInit}. */
export const ADA_INITS: readonly AdaInit[] = ['decompose', 'decompose-norm', 'random'];

/** Options of {@link AdaTuckerLayer.fromDense}. */
export interface AdaFromDenseOptions {
  /** See {@link AdaInit} (default 'decompose'). */
  readonly init?: AdaInit;
  readonly seed?: number;
  /** SCADA follower: the group's core (else a 'scada-tucker' layer becomes the group's owner). */
  readonly sharedCore?: SharedCore;
}

function weightShape(t: AdaTarget): number[] {
  return t.type === 'conv2d'
    ? [t.kernelSize[0], t.kernelSize[1], t.inChannels, t.outChannels]
    : [t.inFeatures, t.outFeatures];
}

function fanIn(t: AdaTarget): number {
  return t.type === 'conv2d' ? t.kernelSize[0] * t.kernelSize[1] * t.inChannels : t.inFeatures;
}

/** m×r with orthonormal columns (Gram–Schmidt of seeded Gaussians, float64). */
function orthonormal(m: number, r: number, rng: Rng): Float32Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < r; j++) {
    for (;;) {
      const v = rng.normals(m);
      for (const c of cols) {
        let d = 0;
        for (let i = 0; i < m; i++) d += (v[i] as number) * (c[i] as number);
        for (let i = 0; i < m; i++) v[i] = (v[i] as number) - d * (c[i] as number);
      }
      const n = norm64(v);
      if (n > 1e-8) {
        for (let i = 0; i < m; i++) v[i] = (v[i] as number) / n;
        cols.push(v);
        break;
      }
    }
  }
  const out = new Float32Array(m * r);
  for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) out[i * r + j] = (cols[j] as Float64Array)[i] as number;
  return out;
}

/**
 * ADA-Tucker layer (Zhong et al., Neural Networks 2019): the weight of a conv (`[k_h, k_w, S, T]`)
 * or linear (`[S, T]`) layer, flattened row-major and reshaped to the balanced `dims`
 * `[m_1, …, m_d]` (zero-padded, then cropped, when `Π m_i` exceeds the weight size), is
 *
 * `W̃ = s · C ×_1 M_1 ×_2 M_2 … ×_d M_d`, `C` `[r_1…r_d]`, `M_i` `[m_i, r_i]` (`factor{i}`),
 * any order d (above order 6 the core variable holds the unfolding `[r_1, r_2·…·r_d]`,
 * {@link adaCoreShape}, and the rebuild works on 2-D views only),
 *
 * all learnable. `s` (`scale`, `[1]`) exists only in SCADA layers, where `C` is a
 * {@link SharedCore}. While training, the forward pass rebuilds `W` with differentiable ops
 * (mode products as transpose + matMul); at inference `W` is cached in the buffer
 * `weightCache`, rebuilt whenever a parameter was assigned (variables get a new data id on
 * every assign, which the cache checks) or a training pass ran. `weightCache` is derived data:
 * model files do not store it ({@link isDerivedBuffer}). ADA-Tucker compresses storage, not
 * compute: the layer always runs the dense op on the rebuilt weight (no execution modes).
 */
export class AdaTuckerLayer extends Module implements SharedCoreUser, Fusible {
  readonly kind = 'ada-tucker';
  readonly target: AdaTarget;
  readonly dims: readonly number[];
  readonly ranks: readonly number[];
  readonly group: string | null;
  readonly ownedCore: SharedCore | null;
  readonly factors: readonly tf.Variable[];
  readonly bias: tf.Variable | null;
  readonly scale: tf.Variable | null;
  readonly weightCache: tf.Variable;
  private ownCore: tf.Variable | null;
  private boundCore: SharedCore | null = null;
  private cacheKey: unknown[] | null = null;

  constructor(name: string, options: AdaTuckerOptions) {
    super(name);
    const t = options.target;
    this.target =
      t.type === 'conv2d'
        ? { ...t, kernelSize: [...t.kernelSize], stride: [...t.stride], dilation: [...t.dilation] }
        : { ...t };
    const wShape = weightShape(t);
    if (!wShape.every((d) => Number.isInteger(d) && d >= 1))
      throw new TnzipError('INVALID_ARGUMENT', `ada-tucker '${name}': target sizes must be integers >= 1`);
    const n = sizeOf(wShape);
    const checked = checkAdaPlan(n, options.dims, options.ranks);
    this.dims = checked.dims;
    this.ranks = checked.ranks;
    this.group = options.group ?? null;
    const rng = new Rng(options.seed ?? 0);
    this.factors = this.dims.map((m, i) =>
      makeParam(
        (v) => this.addParam(`factor${i}`, v),
        () => tf.tensor2d(orthonormal(m, this.ranks[i] as number, rng), [m, this.ranks[i] as number]),
      ),
    );
    // With orthonormal factors ‖W̃‖_F = s·‖C‖_F, so ‖C‖_F = sqrt(Π m_i · 2/fan_in) gives Var(W) ≈ 2/fan_in (He).
    const target = Math.sqrt((sizeOf(this.dims) * 2) / fanIn(t));
    if (this.group === null) {
      this.ownedCore = null;
      this.ownCore = makeParam(
        (v) => this.addParam('core', v),
        () => {
          // Drawn and scaled in JS: no read-back of a tensor (a sync read fails on webgpu in Node).
          const c = new Float32Array(sizeOf(this.ranks));
          for (let i = 0; i < c.length; i++) c[i] = rng.normal();
          let ss = 0;
          for (let i = 0; i < c.length; i++) ss += (c[i] as number) ** 2;
          const k = target / Math.sqrt(Math.max(ss, 1e-30));
          for (let i = 0; i < c.length; i++) c[i] = (c[i] as number) * k;
          return tf.tensor(c, adaCoreShape(this.ranks), 'float32');
        },
      );
      this.scale = null;
    } else {
      this.ownCore = null;
      this.ownedCore =
        options.ownsCore === true
          ? this.addChild(
              new SharedCore('sharedCore', { group: this.group, ranks: this.ranks, seed: options.seed ?? 0 }),
            )
          : null;
      if (this.ownedCore !== null) this.boundCore = this.ownedCore;
      // The shared core has N(0, 1) entries, ‖C‖ ≈ sqrt(Π r_i); the scale brings each layer to He.
      const s = target / Math.sqrt(sizeOf(this.ranks));
      this.scale = makeParam(
        (v) => this.addParam('scale', v),
        () => tf.tensor1d([s]),
      );
    }
    this.bias = optionalBias(options.bias, wShape[wShape.length - 1] as number, (v) => this.addParam('bias', v));
    this.weightCache = makeParam(
      (v) => this.addBuffer('weightCache', v),
      () => tf.zeros(wShape),
    );
  }

  /** Binds a SCADA follower to its group's core (ranks must match). */
  bindSharedCore(core: SharedCore): void {
    if (this.group === null || core.group !== this.group) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `ada-tucker '${this.name}' (group ${String(this.group)}) cannot use the core of group '${core.group}'`,
      );
    }
    if (core.ranks.length !== this.ranks.length || core.ranks.some((r, i) => r !== this.ranks[i])) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `ada-tucker '${this.name}': ranks [${this.ranks.join(', ')}] differ from the shared core's [${core.ranks.join(', ')}]`,
      );
    }
    this.boundCore = core;
    this.cacheKey = null;
  }

  /** The core variable in use (own or shared). */
  get core(): tf.Variable {
    if (this.ownCore !== null) return this.ownCore;
    if (this.boundCore === null) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `ada-tucker '${this.name}' uses SCADA group '${String(this.group)}' but is not bound to its core: call linkSharedCores(root)`,
      );
    }
    return this.boundCore.core;
  }

  /**
   * ADA-Tucker (plan 'ada-tucker') or SCADA-Tucker (plan 'scada-tucker') from a pretrained
   * conv or linear. 'decompose': HOSVD (float64) of the reshaped weight — exact at full ranks
   * (ranks = dims); 'decompose-norm' scales the owned core to the weight's norm. Built alone, a
   * SCADA group owner takes its own HOSVD core as the shared core and a follower keeps its HOSVD
   * factors and the least-squares scale `⟨C_l, C⟩ / ⟨C, C⟩`; `factorize` then fits each group of
   * two or more layers jointly (`fitScadaGroup`).
   * 'decompose' reads `layer.weight` synchronously: on webgpu, `await cacheOnCpu(layer)` first.
   */
  static fromDense(layer: Conv2d | Linear, plan: LayerPlan, options: AdaFromDenseOptions = {}): AdaTuckerLayer {
    if (plan.kind !== 'ada-tucker' && plan.kind !== 'scada-tucker') {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `AdaTuckerLayer.fromDense: plan.kind must be 'ada-tucker' or 'scada-tucker', got '${plan.kind}'`,
      );
    }
    const target = adaTargetOf(layer, 'AdaTuckerLayer.fromDense');
    const shared = plan.kind === 'scada-tucker' ? options.sharedCore : undefined;
    if (shared !== undefined && plan.kind === 'scada-tucker' && shared.group !== plan.group) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `options.sharedCore belongs to group '${shared.group}', plan.group is '${plan.group}'`,
      );
    }
    const out = new AdaTuckerLayer(layer.name, {
      target,
      bias: layer.bias !== null,
      dims: plan.dims,
      ranks: plan.ranks,
      group: plan.kind === 'scada-tucker' ? plan.group : null,
      ownsCore: plan.kind === 'scada-tucker' && shared === undefined,
      seed: options.seed ?? 0,
    });
    if (shared !== undefined) out.bindSharedCore(shared);
    tf.tidy(() => {
      if (out.bias !== null && layer.bias !== null) out.bias.assign(layer.bias);
    });
    if ((options.init ?? 'decompose') === 'random') return out;
    const padded = paddedWeight64(layer.weight, `${layer.name}.weight`, out.dims);
    const dec = hosvd64(padded, out.ranks);
    tf.tidy(() => {
      dec.factors.forEach((f, i) => {
        (out.factors[i] as tf.Variable).assign(matrixToTf(f));
      });
      if (out.scale === null || out.ownedCore !== null) {
        const core = options.init === 'decompose-norm' ? normKept(dec.core, padded.data) : dec.core;
        out.core.assign(tf64(core, adaCoreShape(out.ranks)));
        if (out.scale !== null) out.scale.assign(tf.tensor1d([1]));
      } else {
        // On the backend (the shared core may live on the GPU, where a sync read fails in Node);
        // divNoNan gives 0 for an all-zero core.
        const c = tf.reshape(out.core, [-1]);
        const num = tf.sum(tf.mul(c, tf64(dec.core, [c.size])));
        const den = tf.sum(tf.square(c));
        out.scale.assign(tf.reshape(tf.divNoNan(num, den), [1]));
      }
    });
    return out;
  }

  /** The weight rebuilt from core and factors, in the target's layout (differentiable). */
  weight(): tf.Tensor {
    return tf.tidy(() => {
      // The 2-D view: no tensor of rank above 2 (wasm's element-wise kernels fail above 6-D).
      let full = tuckerRebuild(this.core, this.factors, fastMatMul, { shape: 'matrix' });
      if (this.scale !== null) full = tf.mul(full, this.scale);
      const shape = weightShape(this.target);
      const n = sizeOf(shape);
      const flat = tf.reshape(full, [full.size]);
      return tf.reshape(n === full.size ? flat : tf.slice(flat, [0], [n]), shape);
    });
  }

  private sources(): unknown[] {
    const vars = [this.core, ...this.factors, ...(this.scale === null ? [] : [this.scale])];
    return vars.map((v) => (v as unknown as { dataId: unknown }).dataId);
  }

  /** The weight for an inference pass: the cache, rebuilt first if any parameter changed. */
  private cachedWeight(): tf.Tensor {
    const key = this.sources();
    if (this.cacheKey === null || key.some((k, i) => k !== (this.cacheKey as unknown[])[i])) {
      tf.tidy(() => this.weightCache.assign(this.weight()));
      this.cacheKey = key;
    }
    return this.weightCache;
  }

  /** A dense layer with the rebuilt weight (new variables). */
  toDense(): Conv2d | Linear {
    const t = this.target;
    const dense =
      t.type === 'conv2d'
        ? new Conv2d(this.name, {
            inChannels: t.inChannels,
            outChannels: t.outChannels,
            kernelSize: [...t.kernelSize] as [number, number],
            stride: [...t.stride] as [number, number],
            padding: t.padding,
            dilation: [...t.dilation] as [number, number],
            bias: this.bias !== null,
          })
        : new Linear(this.name, { inFeatures: t.inFeatures, outFeatures: t.outFeatures, bias: this.bias !== null });
    const w = this.weight();
    dense.weight.assign(w);
    w.dispose();
    if (this.bias !== null && dense.bias !== null) dense.bias.assign(this.bias);
    return dense;
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training && this.bias !== null) {
      // No training: the cached weight with its bias in one kernel (FusedConv2D / _FusedMatMul).
      const fused = this.forwardFused(x, ctx, { bn: null, relu: false });
      if (fused !== null) return fused;
    }
    let w: tf.Tensor;
    if (ctx.training) {
      this.cacheKey = null;
      w = this.weight();
    } else {
      w = this.cachedWeight();
    }
    const t = this.target;
    const y =
      t.type === 'conv2d'
        ? fastConv2d(x as tf.Tensor4D, w as tf.Tensor4D, { stride: t.stride, padding: t.padding, dilation: t.dilation })
        : fastMatMul(x as tf.Tensor2D, w as tf.Tensor2D);
    return addBias(y, this.bias);
  }

  /** Also frees a folded BatchNorm's cached weight, if any. */
  override dispose(): void {
    releaseFold(this);
    super.dispose();
  }

  fusedOutFeatures(): number {
    return this.target.type === 'conv2d' ? this.target.outChannels : this.target.outFeatures;
  }

  /**
   * The cached rebuilt weight + bias (+ folded BatchNorm) (+ ReLU) as one `tf.fused` kernel, so an
   * ADA/SCADA layer runs what its dense layer runs. Inference only: null while a gradient is
   * recorded (the weight must be rebuilt differentiably) and for a conv both strided and dilated.
   */
  forwardFused(x: tf.Tensor, _ctx: ForwardContext, epilogue: Epilogue): tf.Tensor | null {
    const t = this.target;
    if (tf.engine().state.gradientDepth > 0) return null;
    if (t.type === 'conv2d' && (t.stride[0] > 1 || t.stride[1] > 1) && (t.dilation[0] > 1 || t.dilation[1] > 1))
      return null;
    expectBatch(this.name, x, t.type === 'conv2d' ? [null, null, t.inChannels] : [t.inFeatures]);
    const cached = this.cachedWeight();
    const { weight, bias } =
      epilogue.bn === null ? { weight: cached, bias: this.bias } : foldedParams(this, cached, this.bias, epilogue.bn);
    const activation = epilogue.relu ? 'relu' : 'linear';
    if (t.type === 'linear')
      return tf.fused.matMul({
        a: x as tf.Tensor2D,
        b: weight as tf.Tensor2D,
        ...(bias === null ? {} : { bias }),
        activation,
      });
    return fusedConvExplicit(x as tf.Tensor4D, weight as tf.Tensor4D, t, bias, activation);
  }

  /** {@link adaCost}: storage compression only, the dense op's MACs. */
  cost(inputShape: Shape): Cost {
    const k = adaCost(this.target, this.dims, this.ranks, {
      bias: this.bias !== null,
      scada: this.scale !== null,
      countsCore: this.group === null || this.ownedCore !== null,
      inputShape,
      who: `${this.kind} '${this.name}'`,
    });
    return { params: k.params, macs: k.denseMacs, outputShape: k.outputShape };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      target: { ...this.target },
      bias: this.bias !== null,
      dims: [...this.dims],
      ranks: [...this.ranks],
      group: this.group,
      ownsCore: this.ownedCore !== null,
    };
  }
}

/** True for buffers that hold derived data (rebuilt on demand) and need not be stored in model files. */
export function isDerivedBuffer(module: Module, key: string): boolean {
  return module instanceof AdaTuckerLayer && key === 'weightCache';
}

const isTarget = (v: unknown): boolean =>
  isRecord(v) &&
  ((v.type === 'linear' && Number.isInteger(v.inFeatures) && Number.isInteger(v.outFeatures)) ||
    (v.type === 'conv2d' &&
      Number.isInteger(v.inChannels) &&
      Number.isInteger(v.outChannels) &&
      Array.isArray(v.kernelSize) &&
      Array.isArray(v.stride) &&
      Array.isArray(v.dilation) &&
      v.padding !== undefined));
const isGroup = (v: unknown): boolean => v === null || (typeof v === 'string' && v !== '');

registerModule('ada-tucker', (c) => {
  const r = c as Record<string, unknown>;
  return new AdaTuckerLayer(c.name, {
    target: field(r, 'target', isTarget, 'a conv2d or linear target'),
    bias: field(r, 'bias', isBool, 'a boolean'),
    dims: field(r, 'dims', isIntList, 'a list of positive integers'),
    ranks: field(r, 'ranks', isIntList, 'a list of positive integers'),
    group: field(r, 'group', isGroup, 'a group name or null'),
    ownsCore: field(r, 'ownsCore', isBool, 'a boolean'),
  });
});

type AdaPlan = Extract<LayerPlan, { kind: 'ada-tucker' | 'scada-tucker' }>;

function weightSize(layer: Module, who: string): number {
  return sizeOf(weightShape(adaTargetOf(layer, who)));
}

function adaKind<P extends AdaPlan>(planKind: P['kind']): FactorizedKind<P> {
  const scada = planKind === 'scada-tucker';
  return {
    planKind,
    moduleKinds: ['ada-tucker', 'shared-core'],
    appliesTo: (layer) => layer instanceof Conv2d || layer instanceof Linear,
    validate(layer, plan) {
      checkAdaPlan(weightSize(layer, planKind), plan.dims, plan.ranks);
      if (plan.kind === 'scada-tucker' && (typeof plan.group !== 'string' || plan.group === '')) {
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `layer '${layer.name}' (${layer.kind}): plan.group must be a non-empty string, got ${JSON.stringify(plan.group)}`,
        );
      }
    },
    cost(layer, plan, inputShape, { ownsSharedCore }) {
      const k = adaCost(adaTargetOf(layer, planKind), plan.dims, plan.ranks, {
        bias: (layer as Conv2d | Linear).bias !== null,
        scada,
        countsCore: !scada || ownsSharedCore,
        inputShape,
        who: `layer '${layer.name}' (${layer.kind})`,
      });
      return { params: k.params, macs: k.denseMacs, outputShape: k.outputShape };
    },
    fromDense(layer, plan, { adaInit, seed, shared }) {
      // SCADA: the first layer of a group (depth-first order) owns its core, the others share it.
      const key = plan.kind === 'scada-tucker' ? `scada-tucker:${plan.group}` : undefined;
      const core = key === undefined ? undefined : (shared.get(key) as SharedCore | undefined);
      const out = AdaTuckerLayer.fromDense(layer as Conv2d | Linear, plan, {
        init: adaInit,
        seed,
        ...(core === undefined ? {} : { sharedCore: core }),
      });
      if (key !== undefined && core === undefined && out.ownedCore !== null) shared.set(key, out.ownedCore);
      return out;
    },
    // SCADA from the pretrained weights: each group's core fitted to all its layers at once.
    finishBuild(built, { adaInit }) {
      if (!scada || adaInit === 'random') return;
      const groups = new Map<string, BuiltLayer[]>();
      for (const b of built) {
        const group = (b.plan as Extract<LayerPlan, { kind: 'scada-tucker' }>).group;
        groups.set(group, [...(groups.get(group) ?? []), b]);
      }
      for (const members of groups.values()) if (members.length > 1) fitScadaGroup(members, adaInit);
    },
  };
}

/** `core` scaled to the Frobenius norm of `weight` (orthonormal factors keep it); as is when all zero. */
function normKept(core: Tensor64, weight: Float64Array): Tensor64 {
  const c = norm64(core.data);
  return c > 0 ? { shape: core.shape, data: core.data.map((v) => (v * norm64(weight)) / c) } : core;
}

/** ADA-Tucker of a Conv2d or Linear (plan `'ada-tucker'`). */
export const adaTuckerKind: FactorizedKind<Extract<LayerPlan, { kind: 'ada-tucker' }>> = adaKind('ada-tucker');
/** SCADA-Tucker of a Conv2d or Linear (plan `'scada-tucker'`): ADA-Tucker with a core shared per group. */
export const scadaTuckerKind: FactorizedKind<Extract<LayerPlan, { kind: 'scada-tucker' }>> = adaKind('scada-tucker');

registerFactorizedKind(adaTuckerKind);
registerFactorizedKind(scadaTuckerKind);
