import * as tf from '@tensorflow/tfjs-core';
import { type Module, type ModuleState, saveToMemory } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { ResolvedOptions } from '../train-options.js';
import type { TrainRun } from '../train-run.js';
import type { ComputedStep } from '../train-step.js';
import { type Layout, type ModelArtifacts, makeLayout, type Slot } from './protocol.js';
import { workerEntry } from './worker-entry.js';
import { type ShardResult, TrainWorker } from './worker-pool.js';

/** Contiguous shards of `n` rows over `parts` workers: the first `n % parts` get one row more. */
export function shards(n: number, parts: number): { start: number; rows: number }[] {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  const out: { start: number; rows: number }[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const rows = base + (i < extra ? 1 : 0);
    out.push({ start, rows });
    start += rows;
  }
  return out;
}

async function artifacts(model: Module, what: string): Promise<ModelArtifacts> {
  const a = await saveToMemory(model);
  if (!(a.weightData instanceof ArrayBuffer))
    throw new TnzipError('BACKEND_UNAVAILABLE', `data-parallel training: saving the ${what} produced no weight buffer`);
  return { modelTopology: a.modelTopology, weightSpecs: a.weightSpecs, weightData: a.weightData };
}

/**
 * Synchronous data-parallel SGD over worker threads. The main thread owns the parameters and the
 * optimizer; each step it writes the weights into a shared buffer, splits the batch into
 * contiguous shards by row index (worker k gets rows of shard k, so the split is a pure function
 * of the batch), each worker returns the gradients of its shard's mean loss, and the main thread
 * forms the gradient of the whole batch's mean loss as Σ_k (n_k / N)·g_k, summed in worker order
 * in float64 and rounded once to float32. The result is deterministic for a given worker count
 * and differs from one in-process step only by float32 summation order inside the kernels.
 *
 * Hooks' `extraLoss` terms (functions of the parameters, e.g. BATUDE's ADMM penalty) are
 * differentiated on the main thread and added. Module states (Dropout counters) go to every
 * worker with the step and the main thread keeps worker 1's after it. Buffers (BatchNorm running
 * statistics) become the shard-size-weighted mean of the workers' — exact for an exponential
 * moving average of the batch statistics, but each worker normalizes with its own shard's
 * statistics (as unsynchronized BatchNorm in PyTorch DDP), so BatchNorm models train slightly
 * differently than with one worker.
 */
export class DataParallel {
  private readonly weights: Float32Array;
  private readonly reduced: Float32Array;
  /** Shards written so far over the run: the workers' barrier counter only grows. */
  private barrier = 0;

  private constructor(
    private readonly model: Module,
    private readonly layout: Layout,
    private readonly workers: readonly TrainWorker[],
    weights: SharedArrayBuffer,
    reduced: SharedArrayBuffer,
  ) {
    this.weights = new Float32Array(weights);
    this.reduced = new Float32Array(reduced);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Starts `n` workers, each with a copy of `model` (and the distillation teacher) on a 1-thread
   * backend of the kind now active (cpu or wasm).
   *
   * @throws TnzipError `INVALID_ARGUMENT` on another backend (webgpu: one device, use 1 worker);
   *   `BACKEND_UNAVAILABLE` outside Node or when a worker cannot load the model, naming it.
   */
  static async start(model: Module, n: number, o: ResolvedOptions): Promise<DataParallel> {
    const backend = tf.getBackend();
    if (backend !== 'cpu' && backend !== 'wasm')
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `workers: ${n} workers need the cpu or wasm backend, the active one is '${backend}'; use workers: 1`,
      );
    if (typeof process === 'undefined' || typeof process.getBuiltinModule !== 'function')
      throw new TnzipError('BACKEND_UNAVAILABLE', 'workers > 1 needs Node worker_threads');
    const layout = makeLayout(model.namedParameters(), model.namedBuffers());
    const modelArtifacts = await artifacts(model, 'model');
    const distill =
      o.distill === null
        ? null
        : {
            teacher: await artifacts(o.distill.teacher, 'teacher'),
            temperature: o.distill.temperature,
            alpha: o.distill.alpha,
          };
    const bytes = Math.max(1, layout.length) * 4;
    const weights = new SharedArrayBuffer(bytes);
    const reduced = new SharedArrayBuffer(bytes);
    const barrier = new SharedArrayBuffer(4);
    const grads = Array.from({ length: n }, () => new SharedArrayBuffer(bytes));
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const entry = await workerEntry();
    const common = { backend, model: modelArtifacts, layout, labelSmoothing: o.labelSmoothing, distill } as const;
    const workers = grads.map((_, k) =>
      TrainWorker.start(Worker, entry, { index: k + 1, ...common, weights, grads, reduced, barrier }),
    );
    const settled = await Promise.allSettled(workers.map((w) => w.started));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw failure.reason;
    }
    return new DataParallel(model, layout, workers, weights, reduced);
  }

  /**
   * One step on batch `step` (`x` rows first, `y` int32 labels), as `computeStep` but over the
   * workers: the returned gradients (owned by the caller) are those of the whole batch's mean loss.
   */
  async computeStep(run: TrainRun, x: tf.Tensor, y: tf.Tensor1D, step: number): Promise<ComputedStep> {
    const count = x.shape[0] as number;
    const parts = shards(count, Math.min(this.workers.length, count));
    this.writeWeights();
    const xs = x.dataSync() as Float32Array;
    const ys = Int32Array.from(y.dataSync());
    const rowSize = x.size / count;
    const states: [string, ModuleState][] = [...this.model.namedStates()];
    const share = parts.map((p) => p.rows / count);
    this.barrier += parts.length;
    const results = await Promise.all(
      parts.map((p, k) =>
        (this.workers[k] as TrainWorker).request({
          shape: [p.rows, ...x.shape.slice(1)],
          // slice copies: `xs` may be the backend's own storage (cpu), and transfer detaches.
          x: xs.slice(p.start * rowSize, (p.start + p.rows) * rowSize),
          y: ys.slice(p.start, p.start + p.rows),
          states,
          share,
          barrier: this.barrier,
        }),
      ),
    );
    const grads = new Map<string, tf.Tensor>();
    for (const s of this.layout.params) grads.set(s.path, this.reducedTensor(s));
    this.assignBuffers();
    this.model.loadNamedStates(new Map((results[0] as ShardResult).states));
    const ctx = run.context(step);
    const extra = await this.addExtraLoss(run, ctx, grads);
    const loss = results.reduce((sum, r, k) => sum + (share[k] as number) * r.loss, 0) + extra.value;
    const correct = results.reduce((sum, r) => sum + r.correct, 0);
    const finite = Number.isFinite(loss) && extra.finite && results.every((r) => r.finite);
    return { step, count, loss, correct, finite, lr: ctx.lr, grads };
  }

  /** Current parameters and buffers into the shared buffer the workers read (cpu/wasm: synchronous reads). */
  private writeWeights(): void {
    const vars = new Map([...this.model.namedParameters(), ...this.model.namedBuffers()]);
    for (const s of [...this.layout.params, ...this.layout.buffers]) {
      const v = vars.get(s.path);
      if (v === undefined)
        throw new TnzipError('NOT_FOUND', `data-parallel training: the model lost variable '${s.path}'`);
      this.weights.set(v.dataSync() as Float32Array, s.offset);
    }
  }

  /**
   * Slot `s` of the reduced buffer as a new tensor: wasm copies the values into its heap, a cpu
   * tensor keeps the array it is given, so cpu gets a copy (the workers rewrite the buffer).
   */
  private reducedTensor(s: Slot): tf.Tensor {
    const r = this.reduced;
    const values =
      tf.getBackend() === 'wasm' ? r.subarray(s.offset, s.offset + s.size) : r.slice(s.offset, s.offset + s.size);
    return tf.tensor(values, [...s.shape], 'float32');
  }

  /** Buffers become the shard-weighted mean of the workers' values after the step. */
  private assignBuffers(): void {
    if (this.layout.buffers.length === 0) return;
    const vars = new Map(this.model.namedBuffers());
    for (const s of this.layout.buffers) {
      const mean = this.reducedTensor(s);
      (vars.get(s.path) as tf.Variable).assign(mean);
      mean.dispose();
    }
  }

  /** Adds the gradients of the hooks' extra loss terms (computed here) to `grads`. */
  private async addExtraLoss(
    run: TrainRun,
    ctx: ReturnType<TrainRun['context']>,
    grads: Map<string, tf.Tensor>,
  ): Promise<{ value: number; finite: boolean }> {
    const hooks = run.options.hooks.filter((h) => h.extraLoss !== undefined);
    if (hooks.length === 0) return { value: 0, finite: true };
    const params = this.model.namedParameters();
    const pathOf = new Map(params.map(([p, v]) => [v.name, p]));
    const { value, grads: extra } = tf.variableGrads(
      () => {
        let loss = tf.scalar(0);
        for (const h of hooks) loss = tf.add(loss, (h.extraLoss as NonNullable<typeof h.extraLoss>)(ctx));
        return loss;
      },
      params.map(([, v]) => v),
    );
    try {
      let probe = tf.mul(value, 0);
      for (const [name, g] of Object.entries(extra)) {
        const path = pathOf.get(name) ?? name;
        const base = grads.get(path);
        if (base !== undefined) {
          grads.set(path, tf.add(base, g));
          base.dispose();
        }
        const next = tf.tidy(() => tf.add(probe, tf.sum(tf.mul(g, 0))));
        probe.dispose();
        probe = next;
      }
      const [v, check] = [(await value.data())[0] as number, (await probe.data())[0] as number];
      probe.dispose();
      return { value: v, finite: Number.isFinite(v) && Number.isFinite(check) };
    } finally {
      tf.dispose([value, ...Object.values(extra)]);
    }
  }

  /** Terminates the workers and waits for them to exit. Idempotent. */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
