import * as os from 'node:os';
import { useBackend } from '@tnzip/backends';
import { chooseExecutions, type ExecutionChoice, rewriteMeta, targetKey, withExecutions } from '@tnzip/layers';
import { COMMON_FLAGS, type FlagSpec, formatHelp, int } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { loadModelDir, resolveModelDir } from '../model-files.js';
import { backendChoice } from '../runtime.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip executions`. */
export const EXECUTIONS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  threads: {
    type: 'string',
    value: 'N',
    help: "wasm threads to measure with, in [1, cores] (default: the backend's, all cores)",
  },
  rounds: { type: 'string', value: 'R', help: 'interleaved timing rounds per candidate, in [3, 1000] (default 15)' },
  ...COMMON_FLAGS,
};

/** `tnzip executions --help`. */
export const EXECUTIONS_HELP = formatHelp(
  'tnzip executions RUN_DIR|MODEL_DIR [--threads N] [--rounds R] [--backend wasm|webgpu|cpu]',
  "Measures, on this machine, each factorized layer's executions (factorized chain, reconstructed kernel) at\nbatch 1 and 64, interleaved, and stores the fastest in model.json (meta.executions['backend@threads']),\nreplacing an older choice for that backend and thread count; only model.json's meta changes. Loading the\nmodel for inference then runs the stored choice. Run it on a quiet machine like the one that will serve\nthe model: a choice measured under load can be wrong.",
  EXECUTIONS_FLAGS,
);

/** `path: execution per batch (median ms per batch)` of each measured layer. */
function choiceLines(choice: ExecutionChoice): string[] {
  return choice.layers.map((l) => {
    const ms = l.chosen.map((e, b) => (l.ms[e]?.[b] ?? Number.NaN).toFixed(3)).join('/');
    return `  ${l.path}: ${l.chosen.join('/')} (${ms} ms at batch ${choice.batches.join('/')})`;
  });
}

/** `tnzip executions`. */
export async function executionsCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const target = ctx.positionals[0];
  if (target === undefined)
    throw new UsageError("executions needs a run or model directory (see 'tnzip executions --help')");
  const threads = int(v, 'threads', 1, os.availableParallelism());
  const rounds = int(v, 'rounds', 3, 1000) ?? 15;
  const backend = backendChoice(v);
  if (threads !== undefined && backend !== 'wasm')
    throw new UsageError(`--threads applies to the wasm backend, not '${backend}'`);
  const dir = await resolveModelDir(target);
  const info = await useBackend(backend, threads === undefined ? {} : { threads });
  const loaded = await loadModelDir(dir);
  try {
    if (loaded.inputShape === null)
      throw new UsageError(`'${dir}/model.json' has no inputShape, so its layers cannot be timed`);
    const choice = await chooseExecutions(loaded.model, loaded.inputShape, {
      threads: info.threads ?? 1,
      keepDense: () => false, // a loaded model has no dense layer to fall back to
      rounds,
    });
    const key = targetKey(choice);
    if (choice.layers.length === 0) {
      if (ctx.json) ctx.out(JSON.stringify({ modelDir: dir, key, stored: false, layers: {} }));
      else ctx.out(`${dir}: no layer with a choice of execution (${key}); model.json unchanged`);
      return 0;
    }
    await rewriteMeta(dir, (meta) => withExecutions(meta, choice));
    if (ctx.json) {
      const layers = Object.fromEntries(choice.layers.map((l) => [l.path, { chosen: l.chosen, ms: l.ms }]));
      ctx.out(JSON.stringify({ modelDir: dir, key, stored: true, batches: choice.batches, layers }));
    } else ctx.out([`${dir}: stored under meta.executions['${key}']`, ...choiceLines(choice)].join('\n'));
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
