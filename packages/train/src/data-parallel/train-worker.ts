// Worker thread of the data-parallel trainer (worker-pool.ts): holds a copy of the model (and the
// distillation teacher) on a 1-thread backend; for each `ShardRequest` it copies the current
// weights from the shared buffer, runs forward in training mode and backward on its shard, and
// writes the gradients of the shard's mean loss, then its buffers after the step, into its own
// shared buffer. The parameter update is the main thread's.
//
// Everything is imported dynamically: in plain Node, @tnzip/layers imports tfjs-core's ES build,
// which resolves only once @tnzip/layers/node-register's hook is registered, and a static import
// graph is resolved before any of this module runs.

import type * as tfc from '@tensorflow/tfjs-core';
import type { Module, ModuleState } from '@tnzip/layers';
import {
  flattenError,
  type ModelArtifacts,
  type ShardRequest,
  type Slot,
  slice,
  type TrainWorkerInit,
  type TrainWorkerReply,
} from './protocol.js';

type Tf = typeof tfc;
type Step = (req: ShardRequest) => { loss: number; correct: number; states: [string, ModuleState][]; finite: boolean };

/** Waits until every shard of the step is written; polls so that `terminate()` can always end the thread. */
function awaitBarrier(counter: Int32Array, target: number): void {
  for (let v = Atomics.load(counter, 0); v < target; v = Atomics.load(counter, 0)) Atomics.wait(counter, 0, v, 50);
}

/**
 * reduced[i] = Σ_k share_k · grads_k[i] for i in [start, end), in worker order in float64 from 0,
 * rounded once: the same arithmetic whichever worker does it. Two workers (the common case) get
 * a loop without the inner one over workers: half the time on a 215 k-float slice (LeNet-5 has 431 k).
 */
function sumInto(
  reduced: Float32Array,
  grads: readonly Float32Array[],
  share: readonly number[],
  start: number,
  end: number,
): void {
  if (share.length === 2) {
    const [g0, g1] = grads as [Float32Array, Float32Array];
    const [s0, s1] = share as [number, number];
    for (let i = start; i < end; i++) reduced[i] = 0 + s0 * (g0[i] as number) + s1 * (g1[i] as number);
    return;
  }
  for (let i = start; i < end; i++) {
    let acc = 0;
    for (let k = 0; k < share.length; k++) acc += (share[k] as number) * ((grads[k] as Float32Array)[i] as number);
    reduced[i] = acc;
  }
}

/** Whether a[start..end) holds no NaN or ±Inf (0·v is NaN exactly then). */
function allFinite(a: Float32Array, start: number, end: number): boolean {
  let probe = 0;
  for (let i = start; i < end; i++) probe += (a[i] as number) * 0;
  return probe === 0;
}

/** Reduces this worker's slice (see {@link sumInto}); returns whether the parameters' part of it is finite. */
function reduceSlice(
  grads: readonly Float32Array[],
  reduced: Float32Array,
  share: readonly number[],
  range: { start: number; end: number },
  paramsEnd: number,
): boolean {
  sumInto(reduced, grads, share, range.start, range.end);
  return allFinite(reduced, range.start, Math.min(range.end, paramsEnd));
}

async function loadModel(tf: Tf, a: ModelArtifacts): Promise<Module> {
  const { load } = await import('@tnzip/layers');
  const { model } = await load(
    tf.io.fromMemory({
      modelTopology: a.modelTopology as tfc.io.ModelArtifacts['modelTopology'],
      weightSpecs: a.weightSpecs as tfc.io.WeightsManifestEntry[],
      weightData: a.weightData,
    }),
  );
  return model;
}

/** The worker's variable for each slot, checked against the main thread's layout. */
function variablesFor(model: Module, slots: readonly Slot[], kind: 'parameter' | 'buffer'): tfc.Variable[] {
  const vars = new Map(kind === 'parameter' ? model.namedParameters() : model.namedBuffers());
  if (vars.size !== slots.length)
    throw new Error(`the loaded model has ${vars.size} ${kind}s, expected ${slots.length}`);
  return slots.map((s) => {
    const v = vars.get(s.path);
    if (v === undefined || v.size !== s.size)
      throw new Error(`the loaded model has no ${kind} '${s.path}' of ${s.size}`);
    return v;
  });
}

async function setUp(init: TrainWorkerInit): Promise<Step> {
  await import('@tnzip/layers/node-register');
  const tf = await import('@tensorflow/tfjs-core');
  const { useBackend } = await import('@tnzip/backends');
  await useBackend(init.backend, init.backend === 'wasm' ? { threads: 1 } : {});
  const { crossEntropy, distillationLoss } = await import('../losses.js');
  const model = await loadModel(tf, init.model);

  const distill = init.distill;
  const teacher = distill === null ? null : await loadModel(tf, distill.teacher);
  const { layout } = init;
  const params = variablesFor(model, layout.params, 'parameter');
  const buffers = variablesFor(model, layout.buffers, 'buffer');
  const weights = new Float32Array(init.weights);
  const all = init.grads.map((g) => new Float32Array(g));
  const out = all[init.index - 1] as Float32Array;
  const reduced = new Float32Array(init.reduced);
  const counter = new Int32Array(init.barrier);
  const lastParam = layout.params[layout.params.length - 1];
  const paramsEnd = lastParam === undefined ? 0 : lastParam.offset + lastParam.size;
  const slots = [...layout.params, ...layout.buffers];
  const vars = [...params, ...buffers];

  return (req) => {
    tf.tidy(() => {
      // wasm copies a new tensor's values into its heap; a cpu tensor keeps the array it is given,
      // and the main thread rewrites the shared one, so cpu gets a copy.
      for (const [i, s] of slots.entries()) {
        const view =
          init.backend === 'wasm'
            ? weights.subarray(s.offset, s.offset + s.size)
            : weights.slice(s.offset, s.offset + s.size);
        (vars[i] as tfc.Variable).assign(tf.tensor(view, [...s.shape]));
      }
    });
    model.loadNamedStates(new Map(req.states));
    const x = tf.tensor(req.x, [...req.shape], 'float32');
    const y = tf.tensor1d(req.y, 'int32');
    let correct: tfc.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tfc.Tensor2D;
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
      let loss: tfc.Scalar = crossEntropy(logits, y, init.labelSmoothing);
      if (distill !== null && teacher !== null) {
        const t = teacher.apply(x, { training: false }) as tfc.Tensor2D;
        const kd = distillationLoss(logits, t, distill.temperature);
        loss = tf.add(tf.mul(loss, 1 - distill.alpha), tf.mul(kd, distill.alpha)) as tfc.Scalar;
      }
      return loss;
    }, params);
    try {
      for (const [i, s] of layout.params.entries()) {
        const g = grads[(params[i] as tfc.Variable).name];
        // A parameter the loss does not reach has no gradient: zero, as tf.variableGrads would give.
        if (g === undefined) out.fill(0, s.offset, s.offset + s.size);
        else out.set(g.dataSync() as Float32Array, s.offset);
      }
      for (const [i, s] of layout.buffers.entries())
        out.set((buffers[i] as tfc.Variable).dataSync() as Float32Array, s.offset);
      const loss = value.dataSync()[0] as number;
      const nCorrect = (correct as unknown as tfc.Tensor).dataSync()[0] as number;
      Atomics.add(counter, 0, 1);
      Atomics.notify(counter, 0);
      awaitBarrier(counter, req.barrier);
      const range = slice(layout.length, req.share.length, init.index - 1);
      const finite = reduceSlice(all, reduced, req.share, range, paramsEnd);
      return { loss, correct: nCorrect, states: [...model.namedStates()], finite };
    } finally {
      tf.dispose([x, y, value, ...Object.values(grads), ...(correct === null ? [] : [correct as tfc.Tensor])]);
    }
  };
}

async function main(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort === null) throw new Error('train-worker must run in a worker thread');
  const port = parentPort;
  const post = (reply: TrainWorkerReply): void => port.postMessage(reply);
  let step: Step;
  try {
    step = await setUp(workerData as TrainWorkerInit);
  } catch (e) {
    post({ kind: 'init-error', error: flattenError(e) });
    return;
  }
  port.on('message', (req: ShardRequest) => {
    try {
      post({ kind: 'done', id: req.id, ...step(req) });
    } catch (e) {
      post({ kind: 'error', id: req.id, error: flattenError(e) });
    }
  });
  post({ kind: 'ready' });
}

await main();
