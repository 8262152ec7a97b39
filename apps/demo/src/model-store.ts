import { type LoadedModel, load } from '@tnzip/layers';
import { describeLoadError } from './load-error.js';
import type { ModelEntry } from './models-index.js';

/** A model of the page: its index entry, and either the loaded network or why it could not load. */
export type ModelSlot =
  | { readonly entry: ModelEntry; readonly state: 'ready'; readonly loaded: LoadedModel }
  | { readonly entry: ModelEntry; readonly state: 'error'; readonly error: string };

/**
 * Loads every model of the index concurrently, each on its own: one missing or corrupted file makes
 * that slot an `'error'` (with a sentence naming the file, see {@link describeLoadError}) and leaves
 * the others working. `base` resolves the entries' relative `dir`s (the page's URL).
 * `onSettled` is called as each model finishes, in completion order.
 */
export async function loadModels(
  entries: readonly ModelEntry[],
  base: string,
  onSettled: (slot: ModelSlot, index: number) => void,
): Promise<ModelSlot[]> {
  return Promise.all(
    entries.map(async (entry, i) => {
      let slot: ModelSlot;
      try {
        slot = { entry, state: 'ready', loaded: await load(new URL(entry.dir, base).href) };
      } catch (e) {
        slot = { entry, state: 'error', error: describeLoadError(entry.dir, e) };
      }
      onSettled(slot, i);
      return slot;
    }),
  );
}
