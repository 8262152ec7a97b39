/**
 * Per-kernel time of one LeNet-5 training step or one ResNet-20 batch-64 inference on wasm:
 * `npx tsx --conditions=@tnzip/source bench/profile.ts lenet|resnet`.
 */
import type { Scalar } from '@tensorflow/tfjs-core';

await import('../node/register.mjs');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
await import('../src/ops/register-gradients.js');
const { lenet5, cifarResNet } = await import('../src/testing-models.js');
await tf.setBackend('wasm');
const which = process.argv[2] ?? 'lenet';
const m = which === 'lenet' ? lenet5() : cifarResNet(20);
const x = which === 'lenet' ? tf.randomNormal([64, 28, 28, 1]) : tf.randomNormal([64, 32, 32, 3]);
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 10),
    'int32',
  ),
  10,
);
const vars = m.namedParameters().map(([, v]) => v);
const opt = tf.train.momentum(0.01, 0.9);
const step = () => {
  const l = opt.minimize(
    () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: which === 'lenet' })) as Scalar,
    true,
    vars,
  );
  l?.dataSync();
  l?.dispose();
};
const infer = () => {
  const o = m.apply(x);
  o.dataSync();
  o.dispose();
};
const f = which === 'lenet' ? step : infer;
for (let i = 0; i < 3; i++) f();
const info = await tf.profile(() => {
  f();
});
const agg = new Map<string, number>();
let total = 0;
for (const k of info.kernels) {
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const t = (k.kernelTimeMs as number) ?? 0;
  agg.set(key, (agg.get(key) ?? 0) + t);
  total += t;
}
console.log('total kernel ms', total.toFixed(1));
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(2), k);
