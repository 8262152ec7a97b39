// Measures, on this machine, the execution of every factorized layer of each compressed model in
// public/models/ (chooseExecutions of @tnzip/layers: factorized chain or reconstructed kernel, at batch
// 1 and 64, on wasm with --threads N; a loaded model has no dense layer to fall back to) and stores the
// choice in its model.json under meta.executions['wasm@N'], replacing an older one for that key. The
// page (wasm, 1 thread without cross-origin isolation) then runs the stored choice instead of measuring
// on load. Run it on a quiet machine, once per thread count; only meta changes (weights.bin and its
// hash do not). For one model directory, `tnzip executions DIR --threads N` does the same.
//
//   node --conditions=@tnzip/source --import tsx apps/demo/scripts/store-executions.ts --threads 1|2
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useBackend } from '@tnzip/backends';
import { chooseExecutions, chosenExecutions, load, rewriteMeta, withExecutions } from '@tnzip/layers';

const { values } = parseArgs({ options: { threads: { type: 'string' } } });
const threads = Number(values.threads ?? '1');
if (!Number.isInteger(threads) || threads < 1 || threads > 4)
  throw new Error(`--threads must be an integer in [1, 4], got ${values.threads}`);

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const index = JSON.parse(readFileSync(join(publicDir, 'models', 'index.json'), 'utf8')) as {
  models: { name: string; dir: string }[];
};
const info = await useBackend('wasm', { threads });
for (const entry of index.models) {
  if (entry.name === 'dense') continue;
  const dir = join(publicDir, entry.dir);
  const { model, inputShape } = await load(dir);
  try {
    const choice = await chooseExecutions(model, inputShape ?? [28, 28, 1], {
      threads: info.threads ?? 1,
      keepDense: () => false,
      rounds: 15,
    });
    await rewriteMeta(dir, (meta) => withExecutions(meta, choice));
    const layers = Object.entries(chosenExecutions(choice).layers);
    console.log(
      `${entry.name}: wasm@${info.threads ?? 1} ${layers.length === 0 ? 'no layer with execution modes' : layers.map(([p, e]) => `${p} ${e.join('/')}`).join(', ')}`,
    );
  } finally {
    model.dispose();
  }
}
