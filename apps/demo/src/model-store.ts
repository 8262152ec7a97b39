import { type HonouredExecutions, honourExecutions, type LoadedModel, load } from '@tnzip/layers';
import { describeLoadError } from './load-error.js';
import type { ModelEntry } from './models-index.js';

/** A model of the page: its index entry, and either the loaded network or why it could not load. */
export type ModelSlot =
  | {
      readonly entry: ModelEntry;
      readonly state: 'ready';
      readonly loaded: LoadedModel;
      /** The execution each factorized layer runs: the file's stored choice for this backend, or measured here. */
      readonly executions: HonouredExecutions;
    }
  | { readonly entry: ModelEntry; readonly state: 'error'; readonly error: string };

/** LeNet-5's input, for a file that does not state its own. */
const MNIST_INPUT = [28, 28, 1];

/**
 * Loads every model of the index concurrently, each on its own: one missing or corrupted file makes
 * that slot an `'error'` (with a sentence naming the file, see {@link describeLoadError}) and leaves
 * the others working. Then, one model at a time in index order (timings must not overlap), runs the
 * execution the file stores for the active backend and `threads` (`honourExecutions`), measuring one
 * where the file holds none. `base` resolves the entries' relative `dir`s (the page's URL).
 * `onSettled` is called as each model is ready or failed, in index order.
 */
export async function loadModels(
  entries: readonly ModelEntry[],
  base: string,
  threads: number,
  onSettled: (slot: ModelSlot, index: number) => void,
): Promise<ModelSlot[]> {
  const loads = entries.map((entry) =>
    load(new URL(entry.dir, base).href).then(
      (loaded) => ({ loaded }),
      (error: unknown) => ({ error }),
    ),
  );
  const slots: ModelSlot[] = [];
  for (const [i, entry] of entries.entries()) {
    const r = await (loads[i] as (typeof loads)[number]);
    const slot = 'error' in r ? failed(entry, r.error) : await honoured(entry, r.loaded, threads);
    onSettled(slot, i);
    slots.push(slot);
  }
  return slots;
}

function failed(entry: ModelEntry, error: unknown): ModelSlot {
  return { entry, state: 'error', error: describeLoadError(entry.dir, error) };
}

async function honoured(entry: ModelEntry, loaded: LoadedModel, threads: number): Promise<ModelSlot> {
  try {
    const executions = await honourExecutions(loaded.model, loaded.meta, loaded.inputShape ?? MNIST_INPUT, { threads });
    return { entry, state: 'ready', loaded: { ...loaded, meta: executions.meta }, executions };
  } catch (e) {
    loaded.model.dispose();
    return failed(entry, e);
  }
}
