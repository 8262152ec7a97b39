// Times every compressed model of public/models/ against the dense one on wasm in Node, interleaved
// (timeInterleaved of @tnzip/layers: each round times every model once, alternating order), at batch 1
// and 64. Each compressed model runs the execution its model.json stores for this backend and thread
// count (`meta.executions['wasm@N']`, written by `tnzip compress`), or, when the file holds none, the
// one measured here on load (honourExecutions; a loaded model has no dense layers to fall back to).
// A second copy of the dense model is timed too (an A/A control). Prints a Markdown table; writes nothing.
//
//   node --conditions=@tnzip/source --import tsx apps/demo/scripts/time-models.ts --threads 1|2 [--rounds R]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tnzip/backends';
import { honourExecutions, load, type Module, timeInterleaved } from '@tnzip/layers';

const BATCHES = [1, 64] as const;
const { values } = parseArgs({ options: { threads: { type: 'string' }, rounds: { type: 'string' } } });
const threads = Number(values.threads ?? '1');
const rounds = Number(values.rounds ?? '15');
if (!Number.isInteger(threads) || threads < 1 || threads > 4)
  throw new Error(`--threads must be in [1, 4], got ${values.threads}`);
if (!Number.isInteger(rounds) || rounds < 3 || rounds > 1000)
  throw new Error(`--rounds must be in [3, 1000], got ${values.rounds}`);

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const modelsDir = join(publicDir, 'models');
const index = JSON.parse(readFileSync(join(modelsDir, 'index.json'), 'utf8')) as {
  models: { name: string; dir: string }[];
};
const info = await useBackend('wasm', { threads });
const inputShape = [28, 28, 1];
const loaded: { name: string; model: Module; how: string }[] = [];
for (const entry of index.models) {
  const { model, meta } = await load(join(publicDir, entry.dir));
  let how = '-';
  if (entry.name !== 'dense') {
    const h = await honourExecutions(model, meta, inputShape, { threads: info.threads ?? 1 });
    const layers = Object.entries(h.executions.layers);
    how = `${h.status} ${h.key}: ${
      layers.length === 0 ? 'no layer with execution modes' : layers.map(([p, e]) => `${p} ${e.join('/')}`).join(', ')
    }`;
  }
  loaded.push({ name: entry.name, model, how });
  // A second copy of the dense model: an A/A control, whose ratio shows the measurement's own spread.
  if (entry.name === 'dense')
    loaded.push({ name: 'dense (A/A control)', model: (await load(join(publicDir, entry.dir))).model, how: '-' });
}
const ms: number[][] = [];
for (const b of BATCHES) {
  const x = tf.randomNormal([b, ...inputShape], 0, 1, 'float32', 0);
  ms.push(
    await timeInterleaved(
      loaded.map((m) => () => m.model.apply(x)),
      { rounds },
    ),
  );
  x.dispose();
}
const dense = loaded.findIndex((m) => m.name === 'dense');
const cpu = (await import('node:os')).cpus()[0]?.model ?? 'unknown CPU';
console.log(`wasm, ${info.threads ?? 1} thread(s), ${cpu}; median ms per call over ${rounds} interleaved rounds\n`);
console.log('| model | b1 ms | b1 dense/model | b64 ms | b64 dense/model | execution |');
console.log('|---|---:|---:|---:|---:|---|');
loaded.forEach((m, i) => {
  const cells = BATCHES.map((_, k) => {
    const t = ms[k]?.[i] as number;
    const d = ms[k]?.[dense] as number;
    return `${t.toFixed(3)} | ${(d / t).toFixed(2)}x`;
  });
  console.log(`| ${m.name} | ${cells.join(' | ')} | ${m.how} |`);
});
for (const m of loaded) m.model.dispose();
