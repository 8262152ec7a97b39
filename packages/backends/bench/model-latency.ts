import * as tf from '@tensorflow/tfjs-core';
import { honourExecutions, load, type Module, timeInterleaved } from '@tnzip/layers';
import { type BackendChoice, useBackend } from '../src/index.js';

// Inference latency of saved model directories (e.g. apps/demo/public/models/*) on one backend,
// interleaved against the first directory (the dense parent): at each batch size every model is
// timed once per round, in alternating order (timeInterleaved), so load changes hit all alike.
// Each other model runs the execution choice its model.json stores for this backend and thread
// count, or, where it stores none (e.g. webgpu), the one measured here on load (honourExecutions).
// One JSON line per model and batch: median ms per call, img/s, dense ms / model ms, the execution.
// argv: backend threads rounds batch[,batch…] dense-dir dir [dir…]

const [backend = 'wasm', threadsArg = '1', roundsArg = '15', batchesArg = '1,64', ...dirs] = process.argv.slice(2);
const threads = Number(threadsArg);
const batches = batchesArg.split(',').map(Number);
if (dirs.length < 2) throw new Error('model-latency: give the dense model directory, then at least one other');
const info = await useBackend(backend as BackendChoice, { threads });
const models: { dir: string; model: Module; how: string }[] = [];
let shape = [28, 28, 1];
for (const [i, dir] of dirs.entries()) {
  const { model, meta, inputShape } = await load(dir);
  let how = 'dense';
  if (i === 0) shape = [...(inputShape ?? shape)];
  else {
    const h = await honourExecutions(model, meta, shape, { threads, batches });
    const layers = Object.entries(h.executions.layers).map(([p, e]) => `${p} ${e.join('/')}`);
    how = `${h.status} ${h.key}: ${layers.join(', ') || 'no layer with execution modes'}`;
  }
  models.push({ dir, model, how });
}
for (const batch of batches) {
  const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 5);
  const ms = await timeInterleaved(
    models.map((m) => () => m.model.apply(x)),
    { rounds: Number(roundsArg) },
  );
  x.dispose();
  models.forEach((m, i) => {
    const t = ms[i] as number;
    const dense = ms[0] as number;
    const row = { backend: info.backend, threads, model: m.dir, batch, ms: t, imgPerSec: (1000 * batch) / t };
    console.log(JSON.stringify({ ...row, denseOverModel: dense / t, execution: m.how }));
  });
}
for (const m of models) m.model.dispose();
process.exit(0);
