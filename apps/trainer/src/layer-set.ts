import type { Module } from '@tnzip/layers';
import { compressibleLayers } from '@tnzip/zoo';
import type { FlagSpec, FlagValues } from './args.js';
import { UsageError } from './exit-codes.js';

/**
 * Which layers the methods may compress: `'default'` is the zoo's `compressibleLayers` (not the
 * first convolution of an image input, not the classifier, not residual 1×1 shortcuts), `'all'`
 * every Conv2d and Linear layer (what storage ratios such as ADA/SCADA-Tucker's 691x on LeNet-5
 * need: at that ratio the first conv and the classifier alone cost more than the budget), or an
 * explicit list of layer paths.
 */
export type LayerSet = 'default' | 'all' | readonly string[];

/** `--layers`, shared by `compress` (which also takes paths) and `sweep`. */
export const LAYERS_FLAG: Readonly<Record<string, FlagSpec>> = {
  layers: {
    type: 'string',
    value: 'default|all|A,B',
    help: "layers to compress: the zoo's compressibleLayers (default: not the first conv of an image input, not the classifier), all (every conv and linear layer), or layer paths",
  },
};

/**
 * `--layers` (absent: 'default'). With `paths: false` (sweep: one list for several networks) only
 * 'default' and 'all' are allowed.
 *
 * @throws UsageError for an empty list, or paths where they are not allowed
 */
export function resolveLayerSet(v: FlagValues, paths: boolean): LayerSet {
  const text = v.layers;
  if (text === undefined || text === 'default') return 'default';
  if (typeof text !== 'string') throw new UsageError('--layers takes a value: default, all or layer paths A,B');
  if (text === 'all') return 'all';
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!paths)
    throw new UsageError(`--layers must be 'default' or 'all' here (one setting for every network), got '${text}'`);
  if (list.length === 0) throw new UsageError('--layers must name at least one layer path');
  return list;
}

/** The layer paths of `model` that `set` names, in network order. */
export function layersOf(model: Module, set: LayerSet): string[] {
  if (set === 'default') return compressibleLayers(model);
  if (set === 'all')
    return compressibleLayers(model, { includeFirst: true, includeClassifier: true, includeShortcuts: true });
  return [...set];
}
