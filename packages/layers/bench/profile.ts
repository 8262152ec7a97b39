/**
 * Per-kernel count and time of one step on wasm:
 * `npx tsx --conditions=@tnzip/source bench/profile.ts <model> [batch] [infer|train|train-cheapest]`
 * with model `lenet` | `lenet-tucker2` | `lenet-tt` (LWIQ's TT plan of LeNet-5 at 4x fewer
 * parameters: conv2 ranks 5, 11, 24, 4; fc1 22, 125, 9) | `resnet` | `resnet-tucker2` (ResNet-20,
 * Tucker-2 half). `train-cheapest` trains inside `withCheapestExecution` (what `compress` fine-tunes
 * with). Defaults: lenet → batch 64 train, resnet → batch 64 infer (the original behaviour).
 * Also prints the mean wall time of 5 steps after the warm-up.
 * Prints the number of kernels run (with and without `Reshape`, a no-copy view on wasm), then per kernel name the count and time, then the 25
 * slowest kernel/input-shape pairs. Kernel counts are exact; times are noisy on a shared machine.
 */
import type { Scalar } from '@tensorflow/tfjs-core';

await import('../node/register.mjs');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
await import('../src/ops/register-gradients.js');
const { lenet5, cifarResNet } = await import('../src/testing-models.js');
const { factorize } = await import('../src/factorized/factorize.js');
const { withCheapestExecution } = await import('../src/exec/training-execution.js');
await tf.setBackend('wasm');
const which = process.argv[2] ?? 'lenet';
const isLenet = which.startsWith('lenet');
const tucker2 = which.endsWith('-tucker2');
const tt = which === 'lenet-tt';
const batch = Number(process.argv[3] ?? 64);
const mode = process.argv[4] ?? (isLenet ? 'train' : 'infer');
const m = isLenet ? lenet5({ tucker2 }) : cifarResNet(20, { tucker2Half: tucker2 });
if (tt)
  factorize(m, {
    conv2: { kind: 'tt', rowDims: [10, 5], colDims: [5, 4], ranks: [5, 11, 24, 4] },
    fc1: { kind: 'tt', rowDims: [5, 5, 5, 4], colDims: [8, 5, 5, 4], ranks: [22, 125, 9] },
  });
const x = isLenet ? tf.randomNormal([batch, 28, 28, 1]) : tf.randomNormal([batch, 32, 32, 3]);
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  ),
  10,
);
const vars = m.namedParameters().map(([, v]) => v);
const opt = tf.train.momentum(0.01, 0.9);
const step = () => {
  const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true })) as Scalar, true, vars);
  l?.dataSync();
  l?.dispose();
};
const infer = () => {
  const o = m.apply(x);
  o.dataSync();
  o.dispose();
};
const f = mode.startsWith('train') ? step : infer;
const measure = async () => {
  for (let i = 0; i < 3; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) f();
  const wallMs = (performance.now() - t0) / 5;
  const profiled = await tf.profile(() => {
    f();
  });
  return { wallMs, profiled };
};
const { wallMs, profiled: info } =
  mode === 'train-cheapest' ? await withCheapestExecution(m, measure) : await measure();
console.log(`${which} batch ${batch} ${mode}: ${wallMs.toFixed(1)} ms a step (mean of 5 after 3 warm-up)`);
const agg = new Map<string, number>();
const byName = new Map<string, { n: number; ms: number }>();
let total = 0;
// `…__op` entries are tfjs customGrad wrappers (fused ops) around a kernel listed on its own.
const kernels = info.kernels.filter((k) => !k.name.endsWith('__op'));
const reshapes = kernels.filter((k) => k.name === 'Reshape').length;
for (const k of kernels) {
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const t = (k.kernelTimeMs as number) ?? 0;
  agg.set(key, (agg.get(key) ?? 0) + t);
  const e = byName.get(k.name) ?? { n: 0, ms: 0 };
  byName.set(k.name, { n: e.n + 1, ms: e.ms + t });
  total += t;
}
console.log(
  `${which} batch ${batch} ${mode}: ${kernels.length} kernels (${kernels.length - reshapes} without Reshape), total kernel ms ${total.toFixed(1)}`,
);
for (const [k, v] of [...byName].sort((a, b) => b[1].n - a[1].n)) console.log(`  ${k}: ${v.n} (${v.ms.toFixed(2)} ms)`);
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(2), k);
