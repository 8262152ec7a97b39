/**
 * One compressed layer's ranks as `tnzip summary` prints them (e.g. conv2 `(7, 13)`), parsed to numbers.
 * `kind` is the layer kind (`conv2d`, `tucker2-conv2d`, `tt-linear`, `ada-tucker`, …).
 */
export interface LayerRanks {
  readonly layer: string;
  readonly kind: string;
  readonly ranks: readonly number[];
  readonly params: number;
  readonly macs: number;
}

/**
 * One entry of `public/models/index.json`, written by `scripts/make-index.mjs` from `tnzip eval --json`
 * and `tnzip summary --json`. `dir` is relative to the page (`models/<name>/`); `bytes` = model.json +
 * weights.bin; `nodeTop1` = test accuracy in [0, 1] on the 10,000 MNIST test images, in Node (wasm).
 */
export interface ModelEntry {
  readonly name: string;
  readonly label: string;
  readonly method: string;
  readonly command: string;
  readonly dir: string;
  readonly bytes: number;
  readonly params: number;
  readonly macs: number;
  readonly nodeTop1: number;
  readonly layers: readonly LayerRanks[];
}

/** `public/models/index.json`. */
export interface ModelsIndex {
  readonly models: readonly ModelEntry[];
}

/** Fetches and shape-checks the model index; throws an Error naming the URL on any problem. */
export async function fetchModelsIndex(url: string): Promise<ModelsIndex> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const data = (await res.json()) as Partial<ModelsIndex>;
  if (!Array.isArray(data.models) || data.models.some((m) => typeof m?.name !== 'string' || typeof m.dir !== 'string'))
    throw new Error(`${url}: expected { models: [{ name, dir, … }] }`);
  return data as ModelsIndex;
}
