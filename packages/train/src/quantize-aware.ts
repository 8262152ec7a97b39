import * as tf from '@tensorflow/tfjs-core';
import { checkStorage, type Module, quantizeDequantize, type StorageEncoding } from '@tnzip/layers';
import type { TrainHook } from './hooks.js';

/** A {@link TrainHook} that also frees its float copies. */
export interface QuantizeAwareHook extends TrainHook {
  /** Disposes the float ("shadow") weights; the model keeps its quantized values. Idempotent. */
  dispose(): void;
}

/**
 * Quantization-aware fine-tuning for `storage: 'uint8'` model files, with the straight-through
 * estimator: every step runs forward and backward on the weights as uint8 storage will hold
 * them (`quantizeDequantize` of @tnzip/layers, the tensor form of the model-file quantizer),
 * and the optimizer's update is added to float copies kept by this hook, from which the next
 * quantized weights are taken: `w ← w + Δ`, `θ ← Q(w)`, where `Δ` is what the optimizer changed
 * in `θ` with the gradient at `θ` — the gradient of `L(Q(w))` with `∂Q/∂w := 1`, the same
 * estimator as `fakeQuantize`, without touching any layer's forward pass. Exact for updates
 * that do not depend on the weight value (SGD, momentum, Adam); a weight decay sees `Q(w)`.
 *
 * Between steps the model holds `Q(w)`, so each epoch's evaluation and every checkpoint measure
 * the network as it will be stored, and after training the model is what `save(…, { storage:
 * 'uint8' })` writes. `'float32'` gives a hook that does nothing. A run resumed mid-epoch
 * restarts the float copies from the checkpoint's quantized weights (sub-level progress lost).
 * Call `dispose()` after training.
 */
export function quantizeAwareHook(storage: StorageEncoding = 'uint8'): QuantizeAwareHook {
  const active = checkStorage(storage, 'quantizeAwareHook: storage') === 'uint8';
  /** Per parameter path: the float weights and the quantized value last given to the model. */
  let shadow: Map<string, { w: tf.Tensor; applied: tf.Tensor }> | null = null;
  const release = (): void => {
    if (shadow !== null) for (const s of shadow.values()) tf.dispose([s.w, s.applied]);
    shadow = null;
  };
  const quantizeFrom = (model: Module, fresh: boolean): void => {
    const next = new Map<string, { w: tf.Tensor; applied: tf.Tensor }>();
    for (const [path, v] of model.namedParameters()) {
      const old = fresh ? undefined : shadow?.get(path);
      // w ← w + (θ − Q(w_old)): the optimizer's update of the quantized weights, on the floats.
      const w = tf.tidy(() => (old === undefined ? tf.clone(v) : tf.add(old.w, tf.sub(v, old.applied))));
      const applied = quantizeDequantize(w);
      v.assign(applied);
      next.set(path, { w, applied });
    }
    release();
    shadow = next;
  };
  return {
    name: 'quantize-aware',
    onEpochStart(ctx) {
      if (active && shadow === null) quantizeFrom(ctx.model, true);
    },
    afterStep(ctx) {
      if (active) quantizeFrom(ctx.model, shadow === null);
    },
    dispose: release,
  };
}
