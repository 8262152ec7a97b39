/**
 * Fused vs unfused inference on wasm, interleaved medians:
 * `npx tsx --conditions=@tnzip/source bench/fused.ts [rounds]`.
 * "unfused" is `apply(x, { capture: [] })`: capture turns the chain fusion (conv/linear +
 * folded BatchNorm + ReLU) off; a Conv2d / Linear with a bias still adds it inside its kernel
 * there, so the ratio understates the gain over the previous release slightly.
 * Prints the load average, since timings on a shared machine are noisy.
 */
import * as os from 'node:os';
import type { Tensor } from '@tensorflow/tfjs-core';

await import('../node/register.mjs');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
const { lenet5, cifarResNet } = await import('../src/testing-models.js');
await tf.setBackend('wasm');
const rounds = Number(process.argv[2] ?? 15);
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
console.log(
  `wasm, ${rounds} interleaved rounds, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const cases = [
  ['lenet', () => lenet5(), [28, 28, 1]],
  ['lenet-tucker2', () => lenet5({ tucker2: true }), [28, 28, 1]],
  ['resnet20', () => cifarResNet(20), [32, 32, 3]],
  ['resnet20-tucker2', () => cifarResNet(20, { tucker2Half: true }), [32, 32, 3]],
] as const;
for (const [name, build, shape] of cases) {
  const m = build();
  for (const n of [1, 64]) {
    const x = tf.randomNormal([n, ...shape]);
    const reps = n === 1 ? 20 : name.startsWith('resnet') ? 1 : 4;
    const time = (f: () => Tensor): number => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const y = f();
        y.dataSync();
        y.dispose();
      }
      return (performance.now() - t0) / reps;
    };
    const fused = () => m.apply(x);
    const plain = () => {
      const { output } = m.apply(x, { capture: [] });
      return output;
    };
    time(fused);
    time(plain);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(time(fused));
      b.push(time(plain));
    }
    const [fa, pb] = [median(a), median(b)];
    console.log(
      `${name} batch ${n}: fused ${fa.toFixed(3)} ms, unfused ${pb.toFixed(3)} ms, fused/unfused ${(fa / pb).toFixed(2)}`,
    );
    x.dispose();
  }
  m.dispose();
}
console.log(
  `load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
