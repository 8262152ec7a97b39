import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, cacheOnCpu, type FactorizationPlan, factorizeLayer, Linear, type Module } from '@tnzip/layers';
import { checkInt, TnzipError } from '@tnzip/tensor';
import type { Calibration } from './selector.js';

/** A layer whose factorized form can be rebuilt as a dense layer (every factorized kind can). */
interface Reconstructible extends Module {
  toDense(): Conv2d | Linear;
}

function isReconstructible(m: Module): m is Reconstructible {
  return typeof (m as Partial<Reconstructible>).toDense === 'function';
}

/**
 * Top-1 accuracy of `model`'s own output on the labelled batch `data`, in batches of
 * `batchSize` (inference mode). Async reads only: works on every backend.
 */
export async function batchAccuracy(model: Module, data: Calibration, batchSize = 256): Promise<number> {
  checkInt(batchSize, 'batchSize', 1);
  const n = data.x.shape[0] as number;
  if (n === 0) return 0;
  let correct = 0;
  for (let b = 0; b < n; b += batchSize) {
    const m = Math.min(batchSize, n - b);
    const hits = tf.tidy(() => {
      const output = model.apply(tf.slice(data.x, b, m), { training: false });
      const pred = tf.argMax(output, -1);
      return tf.sum(tf.cast(tf.equal(pred, tf.cast(tf.slice(data.y, b, m), 'int32')), 'float32'));
    });
    correct += (await hits.data())[0] as number;
    hits.dispose();
  }
  return correct / n;
}

/**
 * The accuracy the model would have right after factorization with `plan`, before any
 * fine-tuning — the proxy that proxy-search ranks its candidates by and that BATUDE picks its λ
 * by: every planned (non-dense) layer's weight is temporarily replaced by the reconstruction
 * (`toDense`) of its factorization at the plan's ranks (`factorizeLayer`: HOSVD / TT-SVD / SVD
 * truncation of the current weight), {@link batchAccuracy} is measured on `data`, and the
 * original weights are put back, also when the evaluation throws. Biases are untouched (no
 * kind changes them). The weights are cached on the CPU first (`cacheOnCpu`: factorizing reads
 * them synchronously, which webgpu needs; the restored values keep their cache).
 *
 * @throws TnzipError NOT_FOUND for a plan path with no Conv2d / Linear module
 */
export async function truncatedAccuracy(
  model: Module,
  plan: FactorizationPlan,
  data: Calibration,
  batchSize = 256,
): Promise<number> {
  await cacheOnCpu(model);
  const byPath = new Map(model.namedModules());
  const saved: Array<{ w: tf.Variable; old: tf.Tensor }> = [];
  try {
    for (const [path, p] of Object.entries(plan)) {
      if (p.kind === 'dense') continue;
      const layer = byPath.get(path);
      if (!(layer instanceof Conv2d || layer instanceof Linear))
        throw new TnzipError('NOT_FOUND', `truncatedAccuracy: no Conv2d / Linear at plan path '${path}'`);
      const fm = factorizeLayer(layer, p);
      try {
        if (!isReconstructible(fm)) continue;
        const dense = fm.toDense();
        saved.push({ w: layer.weight, old: layer.weight.clone() });
        layer.weight.assign(dense.weight);
        dense.dispose();
      } finally {
        if (fm !== layer) fm.dispose();
      }
    }
    return await batchAccuracy(model, data, batchSize);
  } finally {
    for (const { w, old } of saved) {
      w.assign(old);
      old.dispose();
    }
  }
}
