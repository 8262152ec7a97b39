/**
 * `pnpm start` until the trainer lands: decompose a convolution kernel with each method of
 * @tnzip/tensor and print parameters, compression and reconstruction error.
 *
 * The kernel is [3, 3, 64, 64] (k_h, k_w, S, T in tfjs layout) with the structure of a trained
 * one: a low multilinear-rank part with decaying energy plus 5% noise, drawn from a fixed seed.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {
  cpAls,
  cpParams,
  cpToTensor,
  hooi,
  hosvd,
  type Matrix64,
  Rng,
  relativeError,
  tensor64,
  toTf,
  ttParams,
  ttRanks,
  ttSvd,
  ttToTensor,
  tuckerParams,
  tuckerToTensor,
  tuckerToTensor64,
} from '../src/index.js';

function structuredKernel(seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const shape = [3, 3, 64, 64];
  const ranks = [3, 3, 12, 12];
  const core = tensor64(rng.normals(3 * 3 * 12 * 12), ranks);
  // Energy decays along the channel ranks, as in trained filters.
  for (let i = 0; i < core.data.length; i++) {
    const a = Math.floor(i / 12) % 12;
    const b = i % 12;
    core.data[i] = (core.data[i] as number) * Math.exp(-(a + b) / 6);
  }
  const factors: Matrix64[] = shape.map((n, m) => ({
    rows: n,
    cols: ranks[m] as number,
    data: rng.normals(n * (ranks[m] as number)),
  }));
  const low = tuckerToTensor64({ core, factors, modes: [0, 1, 2, 3] });
  let norm = 0;
  for (const v of low.data) norm += v * v;
  const noiseScale = (0.05 * Math.sqrt(norm)) / Math.sqrt(low.data.length);
  const noisy = tensor64(
    low.data.map((v) => v + noiseScale * rng.normal()),
    shape,
  );
  return toTf(noisy);
}

interface Row {
  method: string;
  params: number;
  error: number;
  ms: number;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const w = structuredKernel(0);
  const dense = w.size;
  const rows: Row[] = [];
  const time = <T>(f: () => T): [T, number] => {
    const t0 = performance.now();
    const r = f();
    return [r, performance.now() - t0];
  };
  const measure = (method: string, params: number, rebuild: () => tf.Tensor, ms: number): void => {
    const err = tf.tidy(() => relativeError(w, rebuild()));
    rows.push({ method, params, error: err.dataSync()[0] as number, ms });
    err.dispose();
  };

  const [t2, t2ms] = time(() => hosvd(w, [16, 16], { modes: [2, 3] }));
  measure('Tucker-2 HOSVD (R_S=R_T=16)', tuckerParams(w.shape, [16, 16], [2, 3]), () => tuckerToTensor(t2), t2ms);
  const [h2, h2ms] = time(() => hooi(w, [16, 16], { modes: [2, 3] }));
  measure(
    `Tucker-2 HOOI (${h2.iterations} sweeps)`,
    tuckerParams(w.shape, [16, 16], [2, 3]),
    () => tuckerToTensor(h2),
    h2ms,
  );
  const [tt, ttms] = time(() => ttSvd(w, { eps: 0.2 }));
  const ranks = ttRanks(tt);
  measure(
    `TT-SVD eps=0.2 (ranks ${ranks.join('-')})`,
    ttParams(w.shape, ranks.slice(1, -1)),
    () => ttToTensor(tt),
    ttms,
  );
  const [cp, cpms] = time(() => cpAls(w, 24, { seed: 0, maxIter: 200 }));
  measure(`CP-ALS rank 24 (${cp.iterations} sweeps)`, cpParams(w.shape, 24), () => cpToTensor(cp), cpms);

  console.log(`kernel [${w.shape.join(', ')}]: ${dense.toLocaleString('en-US')} parameters\n`);
  console.log('| method | params | compression | relative error | time |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.method} | ${r.params.toLocaleString('en-US')} | ${(dense / r.params).toFixed(1)}x | ${r.error.toFixed(4)} | ${r.ms.toFixed(0)} ms |`,
    );
  }
  for (const t of [w, t2, h2, tt, cp]) disposeAll(t);
  console.log(`\ntensors left: ${tf.memory().numTensors}`);
}

function disposeAll(v: unknown): void {
  if (v instanceof tf.Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeAll);
  else if (v !== null && typeof v === 'object') Object.values(v).forEach(disposeAll);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
