/**
 * Training throughput with 1 and N data-parallel workers (img/s), LeNet-5 and LeNet-300-100 on an
 * MNIST subset, recipe optimizer (SGD, Nesterov momentum), batch 64, on 1-thread wasm (each worker
 * runs its own 1-thread wasm). "1 worker" is the in-process loop (`workers: 1`, no thread).
 *
 *   pnpm --filter @tnzip/train bench            # 1 and 2 workers
 *   BENCH_WORKERS=1,2,4 BENCH_IMAGES=3840 pnpm --filter @tnzip/train bench
 *
 * Each configuration trains 2 epochs and reports the second (warm) epoch's img/s and CPU time per
 * image over all threads (less sensitive to other load than img/s); configurations are interleaved
 * over BENCH_ROUNDS rounds (default 3) and the medians are printed.
 */
import * as os from 'node:os';
import { useBackend } from '@tnzip/backends';
import { mnist, selectExamples } from '@tnzip/data';
import { createModel } from '@tnzip/zoo';
import { recipes, train } from '../src/index.js';

const workerCounts = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const images = Number(process.env.BENCH_IMAGES ?? 1920);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

await useBackend('wasm', { threads: 1 });
const ds = mnist();
const data = {
  train: selectExamples(
    ds.train,
    Array.from({ length: images }, (_, i) => i),
  ),
};

/** img/s of the second epoch, and the CPU time of all threads per image in it (µs: robust to load). */
async function measure(name: 'lenet5' | 'lenet300', workers: number): Promise<{ rate: number; cpu: number }> {
  const model = createModel(name, { seed: 1 });
  const { epochs: _, ...recipe } = recipes[name].options;
  let cpu0 = process.cpuUsage();
  let firstEpochDone = false;
  const r = await train(model, data, {
    ...recipe,
    epochs: 2,
    warmupSteps: 0,
    normalize: ds.normalization,
    logEvery: 0,
    workers,
    onProgress: (e) => {
      if (e.phase === 'epoch' && !firstEpochDone) {
        firstEpochDone = true;
        cpu0 = process.cpuUsage();
      }
    },
  });
  const cpu = process.cpuUsage(cpu0);
  model.dispose();
  return { rate: (r.history[1] as { imgPerSec: number }).imgPerSec, cpu: (cpu.user + cpu.system) / images };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

console.log(
  `cpu: ${os.cpus()[0]?.model} x${os.availableParallelism()}, node ${process.version}, ${images} images, batch 64`,
);
for (const name of ['lenet5', 'lenet300'] as const) {
  const seen = new Map<number, { rate: number; cpu: number }[]>(workerCounts.map((w) => [w, []]));
  for (let r = 0; r < rounds; r++) for (const w of workerCounts) seen.get(w)?.push(await measure(name, w));
  const base = median((seen.get(workerCounts[0] as number) ?? []).map((m) => m.rate));
  for (const [w, ms] of seen) {
    const m = median(ms.map((x) => x.rate));
    const cpu = median(ms.map((x) => x.cpu));
    console.log(
      `${name.padEnd(9)} workers ${w}: ${m.toFixed(0).padStart(6)} img/s (x${(m / base).toFixed(2)}), ${cpu.toFixed(0)} µs CPU/img  rounds ${ms.map((x) => x.rate.toFixed(0)).join(' ')}`,
    );
  }
}
