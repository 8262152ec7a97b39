import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, type Module } from '@tnzip/layers';
import { checkInt, checkNumber, Rng, TnzipError } from '@tnzip/tensor';
import { now } from './finish.js';
import type { Calibration } from './selector.js';

/** Options of {@link lwiqScores}. */
export interface LwiqScoreOptions {
  /** Fraction of the calibration examples held out to measure the proxy accuracy (default 0.5, [P]). */
  readonly holdout?: number;
  /** Seed of the imprint / held-out split (default 0). */
  readonly seed?: number;
  /** Examples per forward pass (default 256). */
  readonly batchSize?: number;
  /** ε added to every gain so no layer gets a zero share (default 1e-3, [P]). */
  readonly epsilon?: number;
  /** 'gain' (default, [P]): `max(acc_l − acc_{l−1}, 0) + ε`; 'absolute': `acc_l + ε` (the ablation of papers.md §2.2 step 4). */
  readonly significance?: 'gain' | 'absolute';
  /**
   * Spatial pooling of a conv output `[N, H, W, C]` before imprinting: `s` (≥ 1) adaptive-average-
   * pools it to `s×s` cells (`C·s²` features; s is capped at H and W), `'auto'` picks
   * `s = max(1, round(√(E/C)))` with E = 100 features (the rule of the corroborating imprinting
   * code, papers.md §2.2). Default 1: global average pooling to C features.
   */
  readonly pool?: number | 'auto';
}

/** The feature target E of `pool: 'auto'`. */
const AUTO_POOL_FEATURES = 100;

/** The pooling side s for a conv output of `c` channels under `pool`. */
function poolSide(pool: number | 'auto', c: number): number {
  return pool === 'auto' ? Math.max(1, Math.round(Math.sqrt(AUTO_POOL_FEATURES / c))) : pool;
}

/**
 * Adaptive average pooling of `t` (`[N, H, W, C]`) to `s×s` cells (cell i spans rows
 * `⌊iH/s⌋ … ⌈(i+1)H/s⌉ − 1`, as PyTorch's adaptive_avg_pool2d), flattened to `[N, s·s·C]`.
 */
function adaptivePool(t: tf.Tensor4D, s: number): tf.Tensor2D {
  const [n, h, w, c] = t.shape;
  const sh = Math.min(s, h);
  const sw = Math.min(s, w);
  if (sh === 1 && sw === 1) return tf.mean(t, [1, 2]) as tf.Tensor2D;
  const cells: tf.Tensor[] = [];
  for (let i = 0; i < sh; i++) {
    const h0 = Math.floor((i * h) / sh);
    const h1 = Math.ceil(((i + 1) * h) / sh);
    for (let j = 0; j < sw; j++) {
      const w0 = Math.floor((j * w) / sw);
      const w1 = Math.ceil(((j + 1) * w) / sw);
      cells.push(tf.mean(tf.slice(t, [0, h0, w0, 0], [n, h1 - h0, w1 - w0, c]), [1, 2]));
    }
  }
  return tf.reshape(tf.stack(cells, 1), [n, sh * sw * c]);
}

/** The imprinting proxy's verdict on one Conv2d / Linear layer. */
export interface LwiqLayerScore {
  readonly path: string;
  /** Cosine proxy accuracy of the imprinted classifier on this layer's pooled features, in [0, 1]. */
  readonly accuracy: number;
  /** `accuracy − accuracy of the previous Conv2d/Linear layer` (the first layer: − chance). */
  readonly gain: number;
  /** The unnormalized significance s_l (see {@link LwiqScoreOptions.significance}). */
  readonly significance: number;
  /** Length of the pooled feature vector imprinted (conv: `C·s²`; Linear: its width). */
  readonly features: number;
}

/** What {@link lwiqScores} returns. */
export interface LwiqScores {
  /** Every Conv2d / Linear layer of the model, in module (forward) order. */
  readonly layers: readonly LwiqLayerScore[];
  /** 1 / numClasses: acc_0. */
  readonly chance: number;
  /** Wall time of the computation that produced these scores (forward passes + imprinting), ms. */
  readonly ms: number;
  /** Examples imprinted / held out. */
  readonly imprinted: number;
  readonly heldOut: number;
}

interface CacheEntry {
  readonly ids: readonly object[];
  readonly key: string;
  readonly scores: LwiqScores;
}

/*
 * Scores are cached per model and calibration tensor, and checked against the identity of every
 * parameter and buffer value (tfjs gives a variable a new dataId on each assign), so a retrained
 * model is re-scored while a budget sweep over the same model pays for the forward passes once.
 */
const cache = new WeakMap<Module, WeakMap<tf.Tensor, CacheEntry>>();
let computations = 0;

/** How many times {@link lwiqScores} has run the forward passes (not served from its cache). */
export function lwiqScoreComputations(): number {
  return computations;
}

function weightIds(model: Module): object[] {
  return [...model.namedParameters(), ...model.namedBuffers()].map(([, v]) => v.dataId as object);
}

/** Rows of `data` (`n × c`) scaled to unit L2 norm, in place. */
function normalizeRows(data: Float32Array, n: number, c: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += (data[i * c + j] as number) ** 2;
    const f = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < c; j++) data[i * c + j] = (data[i * c + j] as number) * f;
  }
}

/**
 * Proxy accuracy of weight imprinting (Qi, Brown, Lowe, CVPR 2018) on features `f` (`n × c`,
 * rows already unit-norm): class weights `w_k = normalize(mean of the imprint rows of class k)`,
 * prediction `argmax_k ⟨f_i, w_k⟩` (cosine), accuracy over the held-out rows. Ties go to the
 * lower class; a class absent from the imprint rows has a zero weight.
 */
export function imprintAccuracy(
  f: Float32Array,
  c: number,
  labels: ArrayLike<number>,
  imprint: readonly number[],
  heldOut: readonly number[],
  numClasses: number,
): number {
  const w = new Float64Array(numClasses * c);
  for (const i of imprint) {
    const k = labels[i] as number;
    for (let j = 0; j < c; j++) w[k * c + j] = (w[k * c + j] as number) + (f[i * c + j] as number);
  }
  for (let k = 0; k < numClasses; k++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += (w[k * c + j] as number) ** 2;
    const g = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < c; j++) w[k * c + j] = (w[k * c + j] as number) * g;
  }
  let correct = 0;
  for (const i of heldOut) {
    let best = -1;
    let bestV = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < numClasses; k++) {
      let v = 0;
      for (let j = 0; j < c; j++) v += (f[i * c + j] as number) * (w[k * c + j] as number);
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    if (best === (labels[i] as number)) correct++;
  }
  return heldOut.length === 0 ? 0 : correct / heldOut.length;
}

/**
 * Every `paths` layer's output over the inputs `x`, in batches of `batchSize`: a conv output
 * `[N, H, W, C]` average-pooled to `[N, s·s·C]` (see {@link LwiqScoreOptions.pool}), a Linear
 * output as is (row-major float32).
 */
async function pooledFeatures(
  model: Module,
  x: tf.Tensor,
  paths: readonly string[],
  batchSize: number,
  pool: number | 'auto',
): Promise<Map<string, { data: Float32Array; c: number }>> {
  const n = x.shape[0] as number;
  const feats = new Map<string, { data: Float32Array; c: number }>();
  for (let b = 0; b < n; b += batchSize) {
    const m = Math.min(batchSize, n - b);
    const pooled = tf.tidy(() => {
      const xb = tf.slice(x, b, m);
      const { output, captured } = model.apply(xb, { capture: paths });
      output.dispose();
      const out = paths.map((p) => {
        const t = captured.get(p) as tf.Tensor;
        const v =
          t.rank === 4 ? adaptivePool(t as tf.Tensor4D, poolSide(pool, t.shape[3] as number)) : tf.reshape(t, [m, -1]);
        return v as tf.Tensor2D;
      });
      // Captured outputs are kept tensors: the enclosing tidy does not free them.
      tf.dispose([...captured.values()]);
      return out;
    });
    let values: Float32Array[];
    try {
      values = (await Promise.all(pooled.map((t) => t.data()))) as Float32Array[];
    } finally {
      tf.dispose(pooled);
    }
    paths.forEach((p, i) => {
      const v = values[i] as Float32Array;
      const c = v.length / m;
      let f = feats.get(p);
      if (f === undefined) {
        f = { data: new Float32Array(n * c), c };
        feats.set(p, f);
      }
      f.data.set(v, b * c);
    });
  }
  return feats;
}

/** `0 … n−1` in a seeded Fisher–Yates order. */
function shuffled(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * LWIQ's layer significance ([P] reconstruction, papers.md §2.2 steps 1–4): run the model once
 * over the calibration inputs, capturing every Conv2d / Linear output; average-pool a conv
 * output `[N, H, W, C]` to `[N, C]` (or to `s×s` cells, `options.pool`; a Linear output is used
 * as is), L2-normalize each row;
 * imprint class-mean weights on a seeded part of the examples and measure the cosine proxy
 * accuracy `acc_l` on the rest; the significance of layer l is its gain over the previous layer
 * `max(acc_l − acc_{l−1}, 0) + ε` with `acc_0 = 1/numClasses` (or `acc_l + ε`).
 *
 * Computed once per (model weights, calibration tensor, options) and cached: calling again with
 * the same model and calibration returns the same object without a forward pass.
 *
 * @throws TnzipError INVALID_ARGUMENT (no calibration, labels that do not match, bad options)
 */
export async function lwiqScores(
  model: Module,
  calibration: Calibration | undefined,
  options: LwiqScoreOptions = {},
): Promise<LwiqScores> {
  if (
    calibration === undefined ||
    calibration === null ||
    !(calibration.x instanceof tf.Tensor) ||
    !(calibration.y instanceof tf.Tensor)
  )
    throw new TnzipError('INVALID_ARGUMENT', 'lwiq: context.calibration { x, y, numClasses } is required');
  const holdout = options.holdout ?? 0.5;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 256;
  const epsilon = options.epsilon ?? 1e-3;
  const mode = options.significance ?? 'gain';
  const pool = options.pool ?? 1;
  if (pool !== 'auto') checkInt(pool, 'options.pool', 1, 64);
  checkNumber(holdout, 'options.holdout', Number.MIN_VALUE, 1 - 1e-9);
  checkInt(seed, 'options.seed', 0, 0xffffffff);
  checkInt(batchSize, 'options.batchSize', 1);
  checkNumber(epsilon, 'options.epsilon', 0, 1);
  if (mode !== 'gain' && mode !== 'absolute')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.significance must be 'gain' or 'absolute', got ${JSON.stringify(mode)}`,
    );
  const { x, y, numClasses } = calibration;
  checkInt(numClasses, 'calibration.numClasses', 2);
  const n = x.shape[0] as number;
  if (y.shape.length !== 1 || y.shape[0] !== n)
    throw new TnzipError('INVALID_ARGUMENT', `calibration.y must be [${n}] labels, got [${y.shape.join(', ')}]`);
  const key = JSON.stringify([holdout, seed, epsilon, mode, numClasses, pool]);
  const ids = weightIds(model);
  let byCal = cache.get(model);
  const hit = byCal?.get(x);
  if (hit !== undefined && hit.key === key && hit.ids.length === ids.length && hit.ids.every((d, i) => d === ids[i]))
    return hit.scores;

  const started = now();
  computations++;
  // Async reads (labels, then each batch's features): the read path on every backend, webgpu included.
  const labels = await y.data();
  for (let i = 0; i < n; i++) {
    const k = labels[i] as number;
    if (!Number.isInteger(k) || k < 0 || k >= numClasses)
      throw new TnzipError('INVALID_ARGUMENT', `calibration.y[${i}] = ${k} is not a class in [0, ${numClasses})`);
  }
  const nHeld = Math.round(holdout * n);
  if (nHeld < 1 || nHeld >= n)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `lwiq: holdout ${holdout} of ${n} calibration examples leaves no imprint or no held-out example`,
    );
  const paths = model
    .namedModules()
    .filter(([, m]) => m instanceof Conv2d || m instanceof Linear)
    .map(([p]) => p);
  const feats = await pooledFeatures(model, x, paths, batchSize, pool);
  const order = shuffled(n, seed);
  const heldOut = order.slice(0, nHeld);
  const imprint = order.slice(nHeld);
  const chance = 1 / numClasses;
  let prev = chance;
  const layers: LwiqLayerScore[] = paths.map((path) => {
    const f = feats.get(path) as { data: Float32Array; c: number };
    normalizeRows(f.data, n, f.c);
    const accuracy = imprintAccuracy(f.data, f.c, labels, imprint, heldOut, numClasses);
    const gain = accuracy - prev;
    prev = accuracy;
    const significance = mode === 'gain' ? Math.max(gain, 0) + epsilon : accuracy + epsilon;
    return { path, accuracy, gain, significance, features: f.c };
  });
  const scores: LwiqScores = {
    layers,
    chance,
    ms: now() - started,
    imprinted: imprint.length,
    heldOut: heldOut.length,
  };
  if (byCal === undefined) {
    byCal = new WeakMap();
    cache.set(model, byCal);
  }
  byCal.set(x, { ids, key, scores });
  return scores;
}
