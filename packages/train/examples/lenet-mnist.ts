/**
 * Trains LeNet-300-100 and/or LeNet-5 on full MNIST (60k/10k) with the default recipes of
 * `@tnzip/train` (or overrides) on the wasm backend, and prints test accuracy, epochs and wall time.
 *
 *   pnpm --filter @tnzip/train example:lenet [lenet300|lenet5|all] [--epochs N] [--lr X] [--batch B]
 *     [--opt sgd|adam|adamw] [--schedule cosine|constant] [--warmup S] [--wd W] [--smoothing E]
 *
 * (`example:lenet` runs `node --import tsx --conditions=@tnzip/source`: TypeScript on source.)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { mnist } from '@tnzip/data';
import { createModel } from '@tnzip/zoo';
import { type OptimizerConfig, type Recipe, recipes, type ScheduleConfig, train } from '../src/index.js';

await tf.setBackend('wasm');
await tf.ready();

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const which = args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 'all';
const names = which === 'all' ? (['lenet300', 'lenet5'] as const) : ([which] as const);
const targets: Record<string, number> = { lenet300: 0.98, lenet5: 0.99 };

const ds = mnist();
for (const name of names) {
  const recipe = (recipes as Record<string, Recipe>)[name];
  if (recipe === undefined) throw new Error(`unknown model '${name}' (lenet300, lenet5, all)`);
  const base = recipe.options;
  const wd = flag('wd');
  const opt = flag('opt');
  const optimizer: OptimizerConfig =
    opt === undefined && wd === undefined
      ? (base.optimizer as OptimizerConfig)
      : opt === 'adam' || opt === 'adamw'
        ? { kind: opt, weightDecay: Number(wd ?? 0) }
        : { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: Number(wd ?? 0) };
  const sched = flag('schedule');
  const schedule: ScheduleConfig =
    sched === undefined
      ? (base.schedule as ScheduleConfig)
      : sched === 'cosine'
        ? { kind: 'cosine' }
        : { kind: 'constant' };
  const options = {
    ...base,
    epochs: Number(flag('epochs') ?? base.epochs),
    lr: Number(flag('lr') ?? base.lr),
    batchSize: Number(flag('batch') ?? base.batchSize),
    warmupSteps: Number(flag('warmup') ?? base.warmupSteps ?? 0),
    labelSmoothing: Number(flag('smoothing') ?? base.labelSmoothing ?? 0),
    optimizer,
    schedule,
  };
  const model = createModel(name, { seed: options.seed ?? 0 });
  const start = performance.now();
  let reached: { epoch: number; seconds: number } | null = null;
  console.log(`${name}: ${JSON.stringify(options)}`);
  const result = await train(
    model,
    { train: ds.train, test: ds.test },
    {
      ...options,
      normalize: ds.normalization,
      logEvery: 0,
      onProgress: (e) => {
        if (e.phase !== 'epoch' || e.record === undefined) return;
        const s = (performance.now() - start) / 1000;
        const acc = e.record.testAcc ?? 0;
        if (reached === null && acc >= (targets[name] as number)) reached = { epoch: e.epoch + 1, seconds: s };
        console.log(
          `  epoch ${e.epoch + 1}/${e.epochs}: train loss ${e.record.trainLoss.toFixed(4)}, train acc ${(100 * e.record.trainAcc).toFixed(2)}%, test acc ${(100 * acc).toFixed(2)}%, ${e.record.imgPerSec.toFixed(0)} img/s, ${s.toFixed(1)} s`,
        );
      },
    },
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      model: name,
      backend: tf.getBackend(),
      epochs: options.epochs,
      testAcc: result.final.testAcc,
      seconds: Number(seconds.toFixed(1)),
      target: targets[name],
      reached,
    }),
  );
  model.dispose();
}
