import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type LoadedModel, load } from '../io/load.js';
import type { Module, Shape } from '../module.js';
import {
  applyExecutions,
  type ChooseOptions,
  chooseExecutions,
  chosenExecutions,
  type Execution,
  type ExecutionChoice,
  type ExecutionPlan,
} from './choose-executions.js';
import { currentTarget, targetKey } from './execution-target.js';

/** The `meta` key of model.json under which measured choices are stored, by target key. */
export const EXECUTIONS_META_KEY = 'executions';

/** One stored choice, `meta.executions['wasm@2']`: layer path → the execution at each of `batches`. */
export interface StoredExecution extends ExecutionPlan {
  /** Median ms per call the choice was made from: `ms[path][execution][b]`. */
  readonly ms?: Readonly<Record<string, Readonly<Partial<Record<Execution, readonly number[]>>>>>;
}

const EXECUTIONS: readonly string[] = ['factorized', 'reconstructed', 'dense'];

/** `meta` with `choice` stored under its target's key (other targets' choices kept). */
export function withExecutions(
  meta: Readonly<Record<string, unknown>>,
  choice: ExecutionChoice,
): Record<string, unknown> {
  const old = meta[EXECUTIONS_META_KEY];
  const all = old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...(old as object) } : {};
  const entry: StoredExecution = {
    ...chosenExecutions(choice),
    ms: Object.fromEntries(choice.layers.map((l) => [l.path, l.ms])),
  };
  return { ...meta, [EXECUTIONS_META_KEY]: { ...all, [targetKey(choice)]: entry } };
}

/**
 * The choice stored in `meta` for `key` (`'wasm@2'`), or null when there is none.
 *
 * @throws TnzipError CORRUPT_FILE for a malformed entry
 */
export function storedExecution(meta: Readonly<Record<string, unknown>>, key: string): StoredExecution | null {
  const all = meta[EXECUTIONS_META_KEY];
  if (all === undefined) return null;
  if (all === null || typeof all !== 'object' || Array.isArray(all))
    throw new TnzipError(
      'CORRUPT_FILE',
      `model.json: meta.${EXECUTIONS_META_KEY} must be an object keyed by backend@threads`,
    );
  const e = (all as Record<string, unknown>)[key] as Record<string, unknown> | undefined;
  if (e === undefined) return null;
  const layers = e?.layers as Record<string, unknown> | undefined;
  if (
    e === null ||
    typeof e !== 'object' ||
    !Array.isArray(e.batches) ||
    !e.batches.every((b) => Number.isInteger(b) && b >= 1) ||
    layers === null ||
    typeof layers !== 'object' ||
    !Object.values(layers).every(
      (v) =>
        Array.isArray(v) &&
        v.length === (e.batches as unknown[]).length &&
        v.every((x) => typeof x === 'string' && EXECUTIONS.includes(x)),
    )
  )
    throw new TnzipError(
      'CORRUPT_FILE',
      `model.json: meta.${EXECUTIONS_META_KEY}['${key}'] must be { batches: [n, …], layers: { path: one of 'factorized' | 'reconstructed' | 'dense' per batch } }`,
    );
  return e as unknown as StoredExecution;
}

/** What {@link honourExecutions} did. */
export interface HonouredExecutions {
  /** `'stored'`: the file's choice for this backend and thread count ran; `'measured'`: none matched, so it was measured here. */
  readonly status: 'stored' | 'measured';
  /** `'wasm@2'`. */
  readonly key: string;
  readonly executions: ExecutionPlan;
  /** The new measurement (status `'measured'`), else null. */
  readonly choice: ExecutionChoice | null;
  /** `meta` with the new measurement stored (the same object when status is `'stored'`). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * Runs the execution choice stored in `meta` for the active backend and `options.threads` in
 * `model`; when the file holds none for that target, measures one ({@link chooseExecutions},
 * without `'dense'`: a loaded model has no dense parent) and runs it. Save the returned `meta`
 * to keep the new measurement.
 */
export async function honourExecutions(
  model: Module,
  meta: Readonly<Record<string, unknown>>,
  inputShape: Shape,
  options: ChooseOptions = {},
): Promise<HonouredExecutions> {
  const key = targetKey(currentTarget(options.threads ?? 1));
  const stored = storedExecution(meta, key);
  if (stored !== null) {
    const plan = { batches: stored.batches, layers: stored.layers };
    applyExecutions(model, plan);
    return { status: 'stored', key, executions: plan, choice: null, meta };
  }
  const choice = await chooseExecutions(model, inputShape, { ...options, keepDense: () => false });
  const executions = chosenExecutions(choice);
  applyExecutions(model, executions);
  return { status: 'measured', key, executions, choice, meta: withExecutions(meta, choice) };
}

/**
 * {@link load}, then {@link honourExecutions} on the file's input shape (or `inputShape`).
 *
 * @throws TnzipError INVALID_ARGUMENT when neither the file nor `inputShape` gives an input shape
 */
export async function loadForInference(
  source: string | tf.io.IOHandler,
  options: ChooseOptions & { readonly inputShape?: Shape } = {},
): Promise<LoadedModel & { readonly executions: HonouredExecutions }> {
  const loaded = await load(source);
  const shape = options.inputShape ?? loaded.inputShape;
  if (shape === null) {
    loaded.model.dispose();
    throw new TnzipError('INVALID_ARGUMENT', 'loadForInference: the file has no inputShape; pass options.inputShape');
  }
  const executions = await honourExecutions(loaded.model, loaded.meta, shape, options);
  return { ...loaded, meta: executions.meta, executions };
}
