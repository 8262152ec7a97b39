import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { layerCosts } from '../cost/summary.js';
import { FactorizedModule } from '../factorized/factorized-module.js';
import { factorizedKindOfModule } from '../factorized/kind-registry.js';
import type { Module, Shape } from '../module.js';
import { currentTarget, type ExecutionTarget } from './execution-target.js';
import { type TimingOptions, timeInterleaved } from './time-interleaved.js';

/**
 * How a factorized layer runs: its chain of small ops, its reconstructed kernel (one cached,
 * fused op; same storage), or replaced by its dense equivalent (`toDense()`: the same function,
 * the dense layer's storage).
 */
export type Execution = 'factorized' | 'reconstructed' | 'dense';

/** Options of {@link chooseExecutions}. */
export interface ChooseOptions extends TimingOptions {
  /** Batch sizes the model serves; the choice minimizes the summed time relative to each batch's best. Default [1, 64]. */
  readonly batches?: readonly number[];
  /** Threads of the active backend (recorded with the choice). Default 1. */
  readonly threads?: number;
  /**
   * Whether `'dense'` is a candidate for the layer at `path` (false where no dense layer may be
   * rebuilt, e.g. after loading). Default: never.
   */
  readonly keepDense?: (path: string) => boolean;
  /** Whether the budget permits `execution` for the layer at `path`. Default: every execution. */
  readonly allow?: (path: string, execution: Execution) => boolean;
}

/** The measurement and choice of one factorized layer. */
export interface LayerExecution {
  readonly path: string;
  readonly kind: string;
  /** The executions timed. */
  readonly candidates: readonly Execution[];
  /** Median ms per call, `ms[execution][b]` for `batches[b]`. */
  readonly ms: Readonly<Partial<Record<Execution, readonly number[]>>>;
  /** The fastest candidate at each batch size. */
  readonly fastest: readonly Execution[];
  /** What runs at each batch size: the fastest candidate the budget permits (`'dense'` at all or none). */
  readonly chosen: readonly Execution[];
}

/** What {@link chooseExecutions} measured and chose. */
export interface ExecutionChoice extends ExecutionTarget {
  readonly batches: readonly number[];
  readonly layers: readonly LayerExecution[];
}

/** Per layer path, the execution at each of `batches` (what a model file stores). */
export interface ExecutionPlan {
  readonly batches: readonly number[];
  readonly layers: Readonly<Record<string, readonly Execution[]>>;
}

/** Factorized layers with execution modes, with their input shapes on `inputShape`. */
export function factorizedLayers(
  model: Module,
  inputShape: Shape,
): Array<{ path: string; layer: FactorizedModule; inputShape: Shape }> {
  const { layers } = layerCosts(model, inputShape);
  const out: Array<{ path: string; layer: FactorizedModule; inputShape: Shape }> = [];
  for (const [path, { module, inputShape: s }] of layers)
    if (module instanceof FactorizedModule) out.push({ path, layer: module, inputShape: s });
  return out;
}

function checkBatches(batches: readonly number[]): void {
  if (
    !Array.isArray(batches) ||
    batches.length === 0 ||
    !batches.every((b) => Number.isInteger(b) && b >= 1 && b <= 4096)
  )
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `batches must be a non-empty list of integers in [1, 4096], got ${JSON.stringify(batches)}`,
    );
}

/** The layer's dense equivalent (`toDense()` of the Tucker-2, CP and TT layers), or null. */
function denseOf(layer: FactorizedModule): Module | null {
  const f = (layer as unknown as { toDense?: () => Module }).toDense;
  return typeof f === 'function' ? f.call(layer) : null;
}

/** The candidate of least time at batch `b`. */
function fastestAt(
  cands: readonly Execution[],
  ms: Partial<Record<Execution, readonly number[]>>,
  b: number,
): Execution {
  let best = cands[0] as Execution;
  for (const e of cands)
    if (((ms[e] as readonly number[])[b] as number) < ((ms[best] as readonly number[])[b] as number)) best = e;
  return best;
}

/**
 * Per batch, the fastest permitted of the layer's own executions; `'dense'` at every batch
 * instead when it is permitted and the fastest candidate at every batch (a dense layer cannot
 * change per batch).
 */
function choose(
  cands: readonly Execution[],
  ms: Partial<Record<Execution, readonly number[]>>,
  nb: number,
  allowed: (e: Execution) => boolean,
): Execution[] {
  const all = Array.from({ length: nb }, (_, b) => fastestAt(cands, ms, b));
  if (allowed('dense') && cands.includes('dense') && all.every((e) => e === 'dense')) return all;
  const own = cands.filter((e) => e !== 'dense' && allowed(e));
  const pool: Execution[] = own.length === 0 ? ['factorized'] : own;
  return Array.from({ length: nb }, (_, b) => fastestAt(pool, ms, b));
}

async function measureLayer(
  path: string,
  layer: FactorizedModule,
  inputShape: Shape,
  options: ChooseOptions,
  batches: readonly number[],
): Promise<LayerExecution> {
  const kind = factorizedKindOfModule(layer.kind);
  const modes = kind?.candidateExecutions?.(layer, { kind: kind.planKind }, inputShape) ?? ['factorized'];
  const cands: Execution[] = modes.filter((m): m is 'factorized' | 'reconstructed' => m !== 'auto');
  const dense = options.keepDense?.(path) === true ? denseOf(layer) : null;
  if (dense !== null) cands.push('dense');
  const saved = layer.mode;
  const savedBatchModes = layer.batchModes;
  layer.batchModes = null;
  const ms: Partial<Record<Execution, number[]>> = {};
  try {
    for (const n of batches) {
      const x = tf.randomNormal([n, ...inputShape], 0, 1, 'float32', 7);
      try {
        const run = (e: Execution) => (): tf.Tensor => {
          if (e === 'dense') return (dense as Module).apply(x, { training: false });
          layer.mode = e;
          return layer.apply(x, { training: false });
        };
        const t = await timeInterleaved(cands.map(run), options);
        cands.forEach((e, i) => {
          ms[e] = [...(ms[e] ?? []), t[i] as number];
        });
      } finally {
        x.dispose();
      }
    }
  } finally {
    layer.mode = saved;
    layer.batchModes = savedBatchModes;
    dense?.dispose();
  }
  const fastest = batches.map((_, b) => fastestAt(cands, ms, b));
  const chosen = choose(cands, ms, batches.length, (e) => options.allow?.(path, e) ?? true);
  return { path, kind: layer.kind, candidates: cands, ms, fastest, chosen };
}

/**
 * Times each factorized layer of `model` (Tucker-2, CP, TT) in its kind's candidate executions
 * ({@link FactorizedKind.candidateExecutions}, plus `'dense'` where `keepDense` says so) on the
 * active backend, at each batch size of `batches`, on seeded random inputs of the layer's own
 * input shape, interleaved medians after warm-up; keeps the fastest execution the budget allows
 * (`allow`). Measures only: {@link applyExecutions} runs the choice.
 *
 * @throws TnzipError INVALID_ARGUMENT (batches, threads, timing options), SHAPE_MISMATCH (input shape)
 */
export async function chooseExecutions(
  model: Module,
  inputShape: Shape,
  options: ChooseOptions = {},
): Promise<ExecutionChoice> {
  const batches = options.batches ?? [1, 64];
  checkBatches(batches);
  const target = currentTarget(options.threads ?? 1);
  const layers: LayerExecution[] = [];
  for (const { path, layer, inputShape: s } of factorizedLayers(model, inputShape))
    layers.push(await measureLayer(path, layer, s, options, batches));
  return { ...target, batches: [...batches], layers };
}

/**
 * Runs an {@link ExecutionPlan} in `model`, in place: a factorized layer whose executions are
 * all `'dense'` is replaced by its dense equivalent (the factorized layer is disposed); otherwise
 * its {@link FactorizedModule.batchModes} are set (and its `mode` to the execution of the largest
 * batch, for training-free callers that read it). Paths that name no factorized layer (e.g. one
 * already dense) are skipped. Returns `model`.
 *
 * @throws TnzipError INVALID_ARGUMENT for a layer whose list is not one execution per batch size
 */
export function applyExecutions(model: Module, plan: ExecutionPlan): Module {
  checkBatches(plan.batches);
  const order = plan.batches.map((b, i) => [b, i] as const).sort((a, c) => a[0] - c[0]);
  const parentOf = new Map<string, Module>();
  const mods = model.namedModules();
  for (const [p, m] of mods) for (const c of m.children()) parentOf.set(p === '' ? c.name : `${p}.${c.name}`, m);
  for (const [path, m] of mods) {
    const e = plan.layers[path];
    if (e === undefined || !(m instanceof FactorizedModule)) continue;
    if (!Array.isArray(e) || e.length !== plan.batches.length)
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `executions of '${path}' must list one execution per batch size (${plan.batches.length}), got ${JSON.stringify(e)}`,
      );
    if (e.every((v) => v === 'dense')) {
      const dense = denseOf(m);
      const parent = parentOf.get(path);
      if (dense === null || parent === undefined) continue;
      parent.replaceChild(m.name, dense);
      m.dispose();
      continue;
    }
    const modes = order.map(
      ([, i]) => (e[i] === 'reconstructed' ? 'reconstructed' : 'factorized') as 'factorized' | 'reconstructed',
    );
    m.batchModes = { batches: order.map(([b]) => b), modes };
    m.mode = modes[modes.length - 1] as 'factorized' | 'reconstructed';
  }
  return model;
}

/** The {@link ExecutionPlan} of a choice. */
export function chosenExecutions(choice: ExecutionChoice): ExecutionPlan {
  return {
    batches: [...choice.batches],
    layers: Object.fromEntries(choice.layers.map((l) => [l.path, [...l.chosen]])),
  };
}
