import * as tf from '@tensorflow/tfjs-core';
import { checkRank, sizeOf, type Tensor64, TnzipError } from '@tnzip/tensor';
import { Conv2d } from '../layers/conv2d.js';
import type { Module, ModuleConfig } from '../module.js';
import type { Padding } from '../ops/conv-geometry.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';

/*
 * Helpers shared by the factorized layers: float64 permutations, conv geometry, execution-mode
 * resolution and the differentiable tf contractions (TT chains, Tucker rebuilds) every
 * factorized forward pass is made of.
 */

/** Conv padding as the dense Conv2d takes it. */
export type PaddingSpec = Padding;

/** Geometry of a conv layer (everything but its weights). */
export interface ConvGeometry {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: PaddingSpec;
  readonly dilation: readonly [number, number];
}

/** Permutes the axes of a float64 tensor: `out.shape[i] = x.shape[perm[i]]`. */
export function permute64(x: Tensor64, perm: readonly number[]): Tensor64 {
  const d = x.shape.length;
  const shape = perm.map((p) => x.shape[p] as number);
  const inStrides = new Array<number>(d).fill(1);
  for (let i = d - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (x.shape[i + 1] as number);
  const strides = perm.map((p) => inStrides[p] as number);
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  const idx = new Array<number>(d).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = x.data[src] as number;
    for (let a = d - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1;
      src += strides[a] as number;
      if ((idx[a] as number) < (shape[a] as number)) break;
      src -= (strides[a] as number) * (shape[a] as number);
      idx[a] = 0;
    }
  }
  return { shape, data: out };
}

/** Same data, new shape (row-major). */
export function reshape64(x: Tensor64, shape: readonly number[]): Tensor64 {
  if (sizeOf(shape) !== x.data.length) {
    throw new TnzipError('SHAPE_MISMATCH', `cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return { shape: [...shape], data: x.data };
}

/** A float64 tensor as a new float32 tf tensor of the given shape (the caller owns it). */
export function tf64(x: Tensor64, shape: readonly number[] = x.shape): tf.Tensor {
  return tf.tensor(Float32Array.from(x.data), [...shape], 'float32');
}

/** INVALID_RANK naming the plan field and its bound. */
export function checkPlanRank(value: unknown, max: number, field: string): number {
  checkRank(value as number, max, `plan.${field}`);
  return value as number;
}

/** Checks that `dims` is a non-empty list of positive integers whose product is `total`. */
export function checkDims(dims: unknown, total: number, field: string, allowPadding = false): number[] {
  if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || (d as number) < 1)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `plan.${field} must be a non-empty list of positive integers, got ${JSON.stringify(dims)}`,
    );
  }
  const p = sizeOf(dims as number[]);
  if (allowPadding ? p < total : p !== total) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `plan.${field} = [${(dims as number[]).join(', ')}] has product ${p}, must ${allowPadding ? 'be >=' : 'equal'} ${total}`,
    );
  }
  return [...(dims as number[])];
}

/** Validates an execution mode. */
export function checkMode(mode: unknown, name = 'mode'): ExecutionMode {
  if (mode !== 'factorized' && mode !== 'reconstructed' && mode !== 'auto') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${name} must be 'factorized', 'reconstructed' or 'auto', got ${String(mode)}`,
    );
  }
  return mode;
}

/** `'auto'` resolves to the cheaper of the two by per-example MACs (ties go to factorized). */
export function resolveMode(
  mode: ExecutionMode,
  factorizedMacs: number,
  denseMacs: number,
): 'factorized' | 'reconstructed' {
  if (mode !== 'auto') return mode;
  return factorizedMacs <= denseMacs ? 'factorized' : 'reconstructed';
}

/**
 * Explicit `[[top, bottom], [left, right]]` padding, following tfjs's conventions: 'same' gives
 * `ceil(in / stride)` outputs with the odd pixel at the bottom/right.
 */
export function explicitPadding(
  padding: PaddingSpec,
  inH: number,
  inW: number,
  g: Pick<ConvGeometry, 'kernelSize' | 'stride' | 'dilation'>,
): [[number, number], [number, number]] {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (typeof padding === 'number')
    return [
      [padding, padding],
      [padding, padding],
    ];
  if (padding === 'same') {
    const one = (n: number, k: number, s: number, d: number): [number, number] => {
      const out = Math.ceil(n / s);
      const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
      const a = Math.floor(total / 2);
      return [a, total - a];
    };
    return [
      one(inH, g.kernelSize[0], g.stride[0], g.dilation[0]),
      one(inW, g.kernelSize[1], g.stride[1], g.dilation[1]),
    ];
  }
  const [[t, b], [l, r]] = padding;
  return [
    [t, b],
    [l, r],
  ];
}

/** Output `[H', W']` of a conv with this geometry on an `inH × inW` input. */
export function convOutHW(inH: number, inW: number, g: ConvGeometry): [number, number] {
  const [[t, b], [l, r]] = explicitPadding(g.padding, inH, inW, g);
  const out = (n: number, k: number, s: number, d: number): number => Math.floor((n - (k - 1) * d - 1) / s) + 1;
  const h = out(inH + t + b, g.kernelSize[0], g.stride[0], g.dilation[0]);
  const w = out(inW + l + r, g.kernelSize[1], g.stride[1], g.dilation[1]);
  if (h < 1 || w < 1) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `input ${inH}x${inW} is too small for kernel ${g.kernelSize.join('x')} (output ${h}x${w})`,
    );
  }
  return [h, w];
}

/** Checks a conv input shape `[H, W, C]` and returns it. */
export function checkImageShape(
  inputShape: readonly number[],
  channels: number,
  who: string,
): [number, number, number] {
  if (inputShape.length !== 3 || inputShape[2] !== channels) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${who}: input shape must be [H, W, ${channels}], got [${inputShape.join(', ')}]`,
    );
  }
  return [inputShape[0] as number, inputShape[1] as number, channels];
}

/** Checks a linear input shape `[F]`. */
export function checkFeatureShape(inputShape: readonly number[], features: number, who: string): void {
  if (inputShape.length !== 1 || inputShape[0] !== features) {
    throw new TnzipError('SHAPE_MISMATCH', `${who}: input shape must be [${features}], got [${inputShape.join(', ')}]`);
  }
}

/**
 * Sequential contraction of a batch with a chain of TT-matrix cores (Novikov et al. 2015):
 *
 * `y[b, i_1…i_d, β] = Σ_{α, j} z[b, α, j_1…j_d] · G_1[α, i_1, j_1, ·] ⋯ G_d[·, i_d, j_d, β]`
 *
 * with `G_k` of shape `[r_{k-1}, m_k, n_k, r_k]`. Each step is one transpose, one reshape and
 * one plain matMul, so the dense matrix is never formed and the gradient uses fast kernels.
 *
 * @param z `[B, r_0 · Π n_k]` (row-major `[B, r_0, n_1, …, n_d]`)
 * @returns `[B, Π m_k · r_d]` (row-major `[B, m_1, …, m_d, r_d]`)
 */
export function ttContract(
  z: tf.Tensor,
  cores: readonly tf.Tensor[],
  matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor2D {
  const batch = z.shape[0] as number;
  let rest = 1;
  for (const c of cores) rest *= c.shape[2] as number;
  let p = 1;
  let cur = z;
  for (const g of cores) {
    const [r0, m, n, r1] = g.shape as [number, number, number, number];
    rest /= n;
    // [B·P, r0, n, rest] → [B·P·rest, r0·n]
    const z4 = tf.reshape(cur, [batch * p, r0, n, rest]);
    const zt = tf.reshape(tf.transpose(z4, [0, 3, 1, 2]), [batch * p * rest, r0 * n]);
    const g2 = tf.reshape(tf.transpose(g, [0, 2, 1, 3]), [r0 * n, m * r1]) as tf.Tensor2D;
    const y = matMul(zt as tf.Tensor2D, g2);
    // [B·P, rest, m, r1] → [B·P·m, r1, rest]
    cur = tf.transpose(tf.reshape(y, [batch * p, rest, m, r1]), [0, 2, 3, 1]);
    p *= m;
  }
  const rLast = cores.length === 0 ? 1 : ((cores[cores.length - 1] as tf.Tensor).shape[3] as number);
  return tf.reshape(cur, [batch, p * rLast]) as tf.Tensor2D;
}

/**
 * The full matrix of a TT-matrix chain, `[Π m_k, Π n_k]` with row and column multi-indices in
 * C order (boundary ranks must be 1). Differentiable: reshapes, 5-D transposes and matMuls.
 */
export function ttMatrixFull(
  cores: readonly tf.Tensor[],
  matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor2D {
  const first = cores[0] as tf.Tensor;
  const [, m0, n0, r0] = first.shape as [number, number, number, number];
  let pi = m0;
  let pj = n0;
  let acc = tf.reshape(first, [pi * pj, r0]);
  let r = r0;
  for (let k = 1; k < cores.length; k++) {
    const g = cores[k] as tf.Tensor;
    const [, m, n, r1] = g.shape as [number, number, number, number];
    const y = matMul(acc as tf.Tensor2D, tf.reshape(g, [r, m * n * r1]) as tf.Tensor2D);
    acc = tf.reshape(tf.transpose(tf.reshape(y, [pi, pj, m, n, r1]), [0, 2, 1, 3, 4]), [pi * m * pj * n, r1]);
    pi *= m;
    pj *= n;
    r = r1;
  }
  return tf.reshape(acc, [pi, pj]) as tf.Tensor2D;
}

/**
 * Tucker reconstruction `core ×_1 U_1 ×_2 U_2 … ×_d U_d` (factors `[m_i, r_i]`) by cycling the
 * modes: each step is `X_(1)ᵀ · U_iᵀ`, which multiplies the leading mode and moves it last, so
 * only 2-D transposes and plain matMuls appear (any order d, fast gradients).
 *
 * @returns the full tensor, shape `[m_1, …, m_d]`
 */
export function tuckerRebuild(
  core: tf.Tensor,
  factors: readonly tf.Tensor[],
  matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor {
  let x = core;
  let size = core.size;
  for (const u of factors) {
    const [m, r] = u.shape as [number, number];
    const x2 = tf.transpose(tf.reshape(x, [r, size / r]));
    x = matMul(x2 as tf.Tensor2D, tf.transpose(u) as tf.Tensor2D);
    size = (size / r) * m;
  }
  return tf.reshape(
    x,
    factors.map((u) => u.shape[0] as number),
  );
}

/** Frobenius norm of a float64 array. */
export function norm64(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s);
}

/** Bias handling for the factory: a fresh zero bias of length `n`, or none. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads a required field of a config (CORRUPT_FILE when absent or of the wrong type). */
export function field<T>(
  config: Record<string, unknown>,
  key: string,
  check: (v: unknown) => boolean,
  what: string,
): T {
  const v = config[key];
  if (!check(v)) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${String(config.kind)} config '${String(config.name)}': field '${key}' must be ${what}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

export const isInt = (v: unknown): boolean => Number.isInteger(v);
export const isIntList = (v: unknown): boolean =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x) && (x as number) >= 1);
export const isPair = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) >= 1);
export const isBool = (v: unknown): boolean => typeof v === 'boolean';
export const isString = (v: unknown): boolean => typeof v === 'string';
export const isPadding = (v: unknown): boolean =>
  v === 'same' ||
  v === 'valid' ||
  (Number.isInteger(v) && (v as number) >= 0) ||
  (Array.isArray(v) &&
    v.length === 2 &&
    v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && (x as number) >= 0)));
export const isMode = (v: unknown): boolean => v === 'factorized' || v === 'reconstructed' || v === 'auto';

/** A seeded normal tensor `N(0, std²)` (float64 draws from {@link Rng}, stored as float32). */
export function seededNormal(shape: readonly number[], std: number, rng: { normal(): number }): tf.Tensor {
  const n = sizeOf(shape);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = std * rng.normal();
  return tf.tensor(data, [...shape], 'float32');
}

/** Shape equality. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * MACs per example of {@link ttContract} with cores of shapes `[r_{k-1}, m_k, n_k, r_k]`:
 * `Σ_k r_{k-1}·r_k·m_k·n_k·(Π_{i<k} m_i)·(Π_{i>k} n_i)` (papers.md §5, TT-FC).
 */
export function ttContractMacs(shapes: readonly (readonly number[])[]): number {
  let rest = 1;
  for (const s of shapes) rest *= s[2] as number;
  let p = 1;
  let total = 0;
  for (const [r0, m, n, r1] of shapes as [number, number, number, number][]) {
    rest /= n;
    total += r0 * r1 * m * n * p * rest;
    p *= m;
  }
  return total;
}

/** Assigns `value` to `v` and disposes `value`. */
export function assignDispose(v: tf.Variable, value: tf.Tensor): void {
  v.assign(value);
  value.dispose();
}

/** Registers-and-disposes: builds a tensor, hands it to `add`, disposes the temporary. */
export function makeParam(add: (t: tf.Tensor) => tf.Variable, make: () => tf.Tensor): tf.Variable {
  const t = tf.tidy(make);
  const v = add(t);
  t.dispose();
  return v;
}

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
 * Checks the arguments of a factorized layer's `fromDense`: `layer` must be an instance of `dense`
 * (named `denseName` in the message) and `plan.kind` must be `kind`; throws INVALID_ARGUMENT
 * naming `who` otherwise.
 */
export function checkFromDense<K extends LayerPlan['kind']>(
  who: string,
  layer: Module,
  dense: abstract new (...args: never[]) => Module,
  denseName: string,
  plan: LayerPlan,
  kind: K,
): asserts plan is Extract<LayerPlan, { kind: K }> {
  const name = layer.name;
  if (!(layer instanceof dense)) {
    throw new TnzipError('INVALID_ARGUMENT', `${who}.fromDense: layer '${name}' must be a ${denseName}`);
  }
  if (plan.kind !== kind) {
    throw new TnzipError('INVALID_ARGUMENT', `${who}.fromDense: plan.kind must be '${kind}', got '${plan.kind}'`);
  }
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
