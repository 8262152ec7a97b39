import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Module } from '../module.js';

/**
 * What a fusible layer applies after its own linear map at inference: an optional BatchNorm
 * (folded into its weight and bias) and an optional ReLU (fused into the conv / matMul kernel).
 */
export interface Epilogue {
  /** Folded as W' = W·s, b' = (b − μ)·s + β with s = γ / √(σ² + ε) over the output axis. */
  readonly bn: FoldableNorm | null;
  readonly relu: boolean;
}

/** The parts of a BatchNorm a fold reads (BatchNorm implements it). */
export interface FoldableNorm {
  readonly numFeatures: number;
  readonly eps: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
}

/**
 * A layer that can run itself followed by an {@link Epilogue} as one fused kernel. Returns null
 * when it cannot (the caller then runs the plain modules one by one).
 */
export interface Fusible {
  /** Output channels / features: a BatchNorm folds only when its numFeatures equals this. */
  fusedOutFeatures(): number | null;
  forwardFused(x: tf.Tensor, ctx: ForwardContext, epilogue: Epilogue): tf.Tensor | null;
}

/** Whether `m` implements {@link Fusible}. */
export function isFusible(m: Module): m is Module & Fusible {
  return typeof (m as Partial<Fusible>).forwardFused === 'function';
}

/**
 * Whether a forward pass may take fused paths: inference, no capture of intermediate outputs,
 * and no gradient being recorded (a folded weight is a cached constant, so no gradient would
 * reach the layer's variables through it).
 */
export function canFuse(ctx: ForwardContext): boolean {
  return !ctx.training && ctx.capturing !== true && tf.engine().state.gradientDepth === 0;
}

/** BatchNorm-like module kinds the chain runner folds, and ReLU, told apart without importing them. */
function asNorm(m: Module | undefined): (Module & FoldableNorm) | null {
  return m !== undefined && m.kind === 'batch-norm' ? (m as Module & FoldableNorm) : null;
}

/**
 * Runs `modules` one after another like {@link Module.call}, fusing `[Fusible, BatchNorm?, ReLU?]`
 * runs into one call of the fusible layer when {@link canFuse} allows. `call` runs one module the
 * plain way (recording its output).
 */
export function runChain(
  modules: readonly Module[],
  x: tf.Tensor,
  ctx: ForwardContext,
  call: (m: Module, x: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const fuse = canFuse(ctx);
  let y = x;
  let i = 0;
  while (i < modules.length) {
    const m = modules[i] as Module;
    if (fuse && isFusible(m)) {
      const out = m.fusedOutFeatures();
      const norm = asNorm(modules[i + 1]);
      const bn = norm !== null && norm.numFeatures === out ? norm : null;
      const after = modules[i + (bn === null ? 1 : 2)];
      const relu = after !== undefined && after.kind === 'relu';
      if (bn !== null || relu) {
        const path = ctx.path === '' ? m.name : `${ctx.path}.${m.name}`;
        const fused = m.forwardFused(y, { ...ctx, path }, { bn, relu });
        if (fused !== null) {
          y = fused;
          i += 1 + (bn === null ? 0 : 1) + (relu ? 1 : 0);
          continue;
        }
      }
    }
    y = call(m, y);
    i += 1;
  }
  return y;
}

/** Folded weight and bias of one layer, valid while its sources' data are the same. */
interface Folded {
  readonly sources: readonly object[];
  readonly weight: tf.Tensor;
  /** Null for a cached reconstructed kernel ({@link cachedDerived}). */
  readonly bias: tf.Tensor | null;
}

const folds = new WeakMap<object, Folded>();

function dataIds(ts: readonly (tf.Tensor | null)[]): object[] {
  return ts.map((t) => (t === null ? folds : t.dataId));
}

function same(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * `weight` (output axis last) and `bias` with `bn` folded in, cached per `owner`: the cache is
 * rebuilt when any source variable was assigned (an assign gives the variable new data, so
 * training steps and `loadStateDict` invalidate it) or when `bn` is another module. The cached
 * tensors live until the next rebuild or {@link releaseFold}.
 */
export function foldedParams(
  owner: object,
  weight: tf.Tensor,
  bias: tf.Tensor | null,
  bn: FoldableNorm,
): { weight: tf.Tensor; bias: tf.Tensor } {
  const sources = [bn, ...dataIds([weight, bias, bn.weight, bn.bias, bn.runningMean, bn.runningVar])];
  const cached = folds.get(owner);
  if (cached !== undefined && cached.bias !== null && same(cached.sources, sources))
    return { weight: cached.weight, bias: cached.bias };
  releaseFold(owner);
  const [w, b] = tf.tidy(() => {
    const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, bn.eps)));
    const shifted = bias === null ? tf.neg(bn.runningMean) : tf.sub(bias, bn.runningMean);
    return [tf.mul(weight, scale), tf.add(tf.mul(shifted, scale), bn.bias)];
  });
  const entry: Folded = { sources, weight: tf.keep(w as tf.Tensor), bias: tf.keep(b as tf.Tensor) };
  folds.set(owner, entry);
  return { weight: entry.weight, bias: b as tf.Tensor };
}

/** Disposes the folded tensors cached for `owner`, if any. */
export function releaseFold(owner: object): void {
  const cached = folds.get(owner);
  if (cached === undefined) return;
  cached.weight.dispose();
  cached.bias?.dispose();
  folds.delete(owner);
}

/** Disposes the folded tensors of every module of `root`'s subtree. */
export function releaseFolds(root: Module): void {
  for (const [, m] of root.namedModules()) releaseFold(m);
}

/**
 * A derived inference weight (a factorized layer's reconstructed kernel) and its optional bias,
 * cached per `owner` in the same store as the BatchNorm folds (so `releaseFold(s)` frees it):
 * rebuilt only when one of `sources` was assigned. Only while no gradient is recorded; otherwise
 * `build()` runs each call (the result then belongs to the caller's tidy).
 */
export function cachedDerived(
  owner: object,
  sources: readonly tf.Tensor[],
  build: () => tf.Tensor,
  bias: tf.Tensor | null,
): { weight: tf.Tensor; bias: tf.Tensor | null } {
  if (tf.engine().state.gradientDepth > 0) return { weight: build(), bias };
  const ids = dataIds(sources);
  const cached = folds.get(owner);
  if (cached !== undefined && cached.bias === null && same(cached.sources, ids)) return { weight: cached.weight, bias };
  releaseFold(owner);
  const weight = tf.keep(tf.tidy(build));
  folds.set(owner, { sources: ids, weight, bias: null });
  return { weight, bias };
}
