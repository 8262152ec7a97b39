/**
 * Per-kernel count and time of one step on wasm:
 * `npx tsx --conditions=@tnzip/source bench/profile.ts <model> [batch] [infer|train]`
 * with model `lenet` | `lenet-tucker2` | `resnet` | `resnet-tucker2` (ResNet-20, Tucker-2 half).
 * Defaults: lenet → batch 64 train, resnet → batch 64 infer (the original behaviour).
 * Prints the number of kernels run (with and without `Reshape`, a no-copy view on wasm), then per kernel name the count and time, then the 25
 * slowest kernel/input-shape pairs. Kernel counts are exact; times are noisy on a shared machine.
 */
import type { Scalar } from '@tensorflow/tfjs-core';

await import('../node/register.mjs');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
await import('../src/ops/register-gradients.js');
const { lenet5, cifarResNet } = await import('../src/testing-models.js');
await tf.setBackend('wasm');
const which = process.argv[2] ?? 'lenet';
const isLenet = which.startsWith('lenet');
const tucker2 = which.endsWith('-tucker2');
const batch = Number(process.argv[3] ?? 64);
const mode = process.argv[4] ?? (isLenet ? 'train' : 'infer');
const m = isLenet ? lenet5({ tucker2 }) : cifarResNet(20, { tucker2Half: tucker2 });
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
const f = mode === 'train' ? step : infer;
for (let i = 0; i < 3; i++) f();
const info = await tf.profile(() => {
  f();
});
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
