import { STORAGE_ENCODINGS, type StorageEncoding } from '@tnzip/layers';
import { type QuantizeAwareHook, quantizeAwareHook, type TrainHook, type TrainOptions } from '@tnzip/train';
import { choice, type FlagSpec, type FlagValues } from './args.js';

/** `--storage`, shared by `train`, `compress` and `sweep`. */
export const STORAGE_FLAG: Readonly<Record<string, FlagSpec>> = {
  storage: {
    type: 'string',
    value: 'float32|uint8',
    help: 'how model/weights.bin stores the weights (default float32; uint8: 4x smaller, trained quantization-aware)',
  },
};

/** `--storage` (default float32); UsageError naming the valid encodings. */
export function resolveStorage(v: FlagValues): StorageEncoding {
  return choice(v, 'storage', STORAGE_ENCODINGS, 'storage encoding') ?? 'float32';
}

/**
 * The training hook `storage` needs: uint8 → the quantization-aware hook (the model leaves
 * training on its uint8 grid; call `dispose()` after training); float32 → null.
 */
export function storageHook(storage: StorageEncoding): QuantizeAwareHook | null {
  return storage === 'float32' ? null : quantizeAwareHook(storage);
}

/** `options` with `hook` appended to its hooks (unchanged for null). */
export function withHook(options: TrainOptions, hook: TrainHook | null): TrainOptions {
  return hook === null ? options : { ...options, hooks: [...(options.hooks ?? []), hook] };
}
