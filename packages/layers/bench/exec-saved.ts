/**
 * A saved compressed model against its dense parent, both loaded from disk, whole-model interleaved
 * medians (wasm, 1 thread): `npx tsx --conditions=@tnzip/source bench/exec-saved.ts DENSE_DIR MODEL_DIR [threads]`.
 * The compressed model runs its stored execution choice (`loadForInference`); prints the load average.
 */
import * as os from 'node:os';

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
const L = await import('../src/index.js');
await tf.setBackend('wasm');
const [denseDir, modelDir] = process.argv.slice(2) as [string, string];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`wasm 1 thread, load average ${load()}`);
const dense = (await L.load(denseDir)).model;
const c = await L.loadForInference(modelDir, { threads: 1 });
console.log(
  `execution choice: ${c.executions.status} for ${c.executions.key}: ${JSON.stringify(c.executions.executions.layers)}`,
);
for (const n of [1, 64]) {
  const x = tf.randomNormal([n, 28, 28, 1]);
  const [a, b] = await L.timeInterleaved(
    [() => c.model.apply(x, { training: false }), () => dense.apply(x, { training: false })],
    { rounds: 15, warmup: 3 },
  );
  console.log(
    `batch ${n}: compressed ${(a as number).toFixed(3)} ms, dense ${(b as number).toFixed(3)} ms, ratio ${((a as number) / (b as number)).toFixed(2)}`,
  );
  x.dispose();
}
const s = await L.compareWithDense(c.model, [28, 28, 1], [1, 64], { rounds: 15, warmup: 3 });
console.log(
  `compareWithDense (dense twin by toDense): ratio ${s.ratios.map((r) => r.toFixed(2)).join('/')} at batch 1/64 (${s.ms.map((t) => t.toFixed(3)).join('/')} vs ${s.denseMs.map((t) => t.toFixed(3)).join('/')} ms)`,
);
console.log(`load average at the end ${load()}`);
