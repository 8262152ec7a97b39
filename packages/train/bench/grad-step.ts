/**
 * One data-parallel worker's compute, apart from the rest of the step: forward (training mode),
 * cross-entropy and backward of LeNet-5 on B real MNIST images, the gradients read back, on a
 * 1-thread wasm backend — timed in the main thread, in one worker thread while the main thread
 * waits, and in two worker threads at once. It answers two questions about `workers: 2`: is a
 * worker thread slower than the main thread, and what does halving the batch cost per image (each
 * of 2 workers computes half the batch)?
 *
 *   pnpm --filter @tnzip/train bench:grad-step
 *   BENCH_BATCHES=16,32,64 BENCH_STEPS=40 pnpm --filter @tnzip/train bench:grad-step
 *   BENCH_MODEL=lenet300 BENCH_FRESH=1 pnpm --filter @tnzip/train bench:grad-step
 *
 * BENCH_MODEL: `lenet5` (default) or `lenet300`. BENCH_FRESH=1: new weight tensors before each
 * step, as in training (the wasm backend re-packs them); by default the weights stay the same.
 *
 * Each figure is the median time of BENCH_STEPS steps (default 40) after 10 warm-up steps.
 */
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type * as tfc from '@tensorflow/tfjs-core';
import { tsxWorkerScript } from '../src/data-parallel/worker-entry.js';

const batchSizes = (process.env.BENCH_BATCHES ?? '16,32,64').split(',').map(Number);
const steps = Number(process.env.BENCH_STEPS ?? 40);
const WARMUP = 10;
const benchModel = (process.env.BENCH_MODEL ?? 'lenet5') as 'lenet5' | 'lenet300';
// New weight tensors before every step, as a training step leaves them (tfjs-backend-wasm then
// re-packs every weight for XNNPACK); without it the packed weights of the first step are reused.
const fresh = process.env.BENCH_FRESH === '1';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** Median ms of one forward + backward + gradient read-back on `batch` images, in this thread. */
async function gradStepMs(batch: number): Promise<number> {
  await import('@tnzip/layers/node-register');
  const tf = await import('@tensorflow/tfjs-core');
  const { useBackend } = await import('@tnzip/backends');
  const { batches, mnist } = await import('@tnzip/data');
  const { createModel } = await import('@tnzip/zoo');
  const { crossEntropy } = await import('../src/losses.js');
  await useBackend('wasm', { threads: 1 });
  const ds = mnist();
  const model = createModel(benchModel, { seed: 1 });
  const params = model.namedParameters().map(([, v]) => v);
  const { x, y } = batches(ds.train, { batchSize: batch, normalize: ds.normalization, seed: 1 }).next().value as {
    x: tfc.Tensor4D;
    y: tfc.Tensor1D;
  };
  const once = (): number => {
    if (fresh)
      for (const v of params) {
        const c = tf.clone(v);
        v.assign(c);
        c.dispose();
      }
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tfc.Tensor2D, y),
      params,
    );
    for (const g of Object.values(grads)) g.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t0;
  };
  const times = Array.from({ length: WARMUP + steps }, once).slice(WARMUP);
  tf.dispose([x, y]);
  model.dispose();
  return median(times);
}

/** `gradStepMs(batch)` in a new worker thread. */
async function inWorker(batch: number): Promise<number> {
  const w = new Worker(await tsxWorkerScript(import.meta.url), {
    eval: true,
    workerData: { batch },
    execArgv: ['--conditions=@tnzip/source'],
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

async function main(): Promise<void> {
  console.log(
    `cpu: ${os.cpus()[0]?.model} x${os.availableParallelism()}, node ${process.version}, ${benchModel}, wasm 1 thread${fresh ? ', fresh weights every step' : ''}`,
  );
  console.log('batch | main thread ms (µs/img) | 1 worker ms | 2 workers at once, ms each');
  for (const b of batchSizes) {
    const main = await gradStepMs(b);
    const one = await inWorker(b);
    const two = await Promise.all([inWorker(b), inWorker(b)]);
    const perImg = ((main / b) * 1000).toFixed(0);
    console.log(
      `${String(b).padStart(5)} | ${main.toFixed(1)} (${perImg}) | ${one.toFixed(1)} | ${two.map((t) => t.toFixed(1)).join(' / ')}`,
    );
  }
}

if (isMainThread) await main();
else parentPort?.postMessage(await gradStepMs((workerData as { batch: number }).batch));
