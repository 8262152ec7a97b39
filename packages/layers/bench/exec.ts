/**
 * Measured execution choice on LeNet-5 (wasm, 1 thread): conv2 as Tucker-2 and fc1 as a rank-R
 * matrix at a few ranks; per layer the candidates' interleaved medians, then the whole model
 * against its dense parent. `npx tsx --conditions=@tnzip/source bench/exec.ts [rS,rT,rFc ...]`.
 * Prints the load average: the machine may be shared.
 */
import * as os from 'node:os';

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
const L = await import('../src/index.js');
const { lenet5 } = await import('../src/testing-models.js');
await tf.setBackend('wasm');
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`wasm 1 thread, load average ${load()}`);
const cases = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['8,16,32', '5,10,16'];
for (const c of cases) {
  const [rs, rt, rf] = c.split(',').map(Number) as [number, number, number];
  const m = lenet5();
  L.factorize(m, {
    conv2: { kind: 'tucker2', rankS: rs, rankT: rt },
    fc1: { kind: 'tt', rowDims: [1, 500], colDims: [800, 1], ranks: [rf] },
  });
  const choice = await L.chooseExecutions(m, [28, 28, 1], { keepDense: () => true, rounds: 9 });
  for (const l of choice.layers)
    console.log(
      `${c} ${l.path}: ${Object.entries(l.ms)
        .map(([e, v]) => `${e} ${(v as number[]).map((t) => t.toFixed(3)).join('/')}`)
        .join(', ')} ms -> ${l.chosen}`,
    );
  L.applyExecutions(m, L.chosenExecutions(choice));
  const s = await L.compareWithDense(m, [28, 28, 1], [1, 64], { rounds: 9 });
  console.log(
    `${c} model: ${s.ms.map((t) => t.toFixed(3)).join('/')} ms vs dense ${s.denseMs.map((t) => t.toFixed(3)).join('/')} ms, ratio ${s.ratios.map((r) => r.toFixed(2)).join('/')} (batch 1/64)`,
  );
  m.dispose();
}
console.log(`load average at the end ${load()}`);
