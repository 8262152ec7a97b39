import { type FlagSpec, parseFlags } from './args.js';
import { COMPRESS_FLAGS, COMPRESS_HELP, compressCommand } from './commands/compress.js';
import type { CommandContext } from './commands/context.js';
import { EVAL_FLAGS, EVAL_HELP, evalCommand } from './commands/eval.js';
import { EXECUTIONS_FLAGS, EXECUTIONS_HELP, executionsCommand } from './commands/executions.js';
import { EXPORT_FLAGS, EXPORT_HELP, exportCommand } from './commands/export.js';
import { REPORT_FLAGS, REPORT_HELP, reportCommand } from './commands/report.js';
import { RESULTS_FLAGS, RESULTS_HELP, resultsCommand } from './commands/results.js';
import { SUMMARY_FLAGS, SUMMARY_HELP, summaryCommand } from './commands/summary.js';
import { SWEEP_FLAGS, SWEEP_HELP, sweepCommand } from './commands/sweep.js';
import { TRAIN_COMMAND_FLAGS, TRAIN_HELP, trainCommand } from './commands/train.js';
import { WORKER_FLAGS, WORKER_HELP, workerCommand } from './commands/worker.js';
import { EXIT, exitCodeOf, isExpected, oneLine, UsageError } from './exit-codes.js';
import { createProgress, type ProgressStream } from './progress.js';
import { releaseRunLocks } from './run-lock.js';

/** Epochs of dense LeNet-5 training in the main job (the recipe's 5 do not fit 10 minutes on 2 cores). */
export const MAIN_JOB_EPOCHS = 2;

interface Command {
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly help: string;
  readonly positionals: number;
  readonly run: (ctx: CommandContext) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  train: { flags: TRAIN_COMMAND_FLAGS, help: TRAIN_HELP, positionals: 0, run: trainCommand },
  compress: { flags: COMPRESS_FLAGS, help: COMPRESS_HELP, positionals: 0, run: (c) => compressCommand(c) },
  eval: { flags: EVAL_FLAGS, help: EVAL_HELP, positionals: 1, run: evalCommand },
  executions: { flags: EXECUTIONS_FLAGS, help: EXECUTIONS_HELP, positionals: 1, run: executionsCommand },
  export: { flags: EXPORT_FLAGS, help: EXPORT_HELP, positionals: 1, run: exportCommand },
  summary: { flags: SUMMARY_FLAGS, help: SUMMARY_HELP, positionals: 1, run: summaryCommand },
  report: { flags: REPORT_FLAGS, help: REPORT_HELP, positionals: 1, run: reportCommand },
  sweep: { flags: SWEEP_FLAGS, help: SWEEP_HELP, positionals: 0, run: sweepCommand },
  results: { flags: RESULTS_FLAGS, help: RESULTS_HELP, positionals: 1000, run: resultsCommand },
  worker: { flags: WORKER_FLAGS, help: WORKER_HELP, positionals: 0, run: (c) => workerCommand(c) },
};

function stepDelay(env: Record<string, string | undefined>): number {
  const n = Number(env.TNZIP_STEP_DELAY_MS ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 10_000) : 0;
}

/** `tnzip --help`. */
export const MAIN_HELP = `usage: tnzip [COMMAND] [options]

Compress neural networks with tensor decompositions under a parameter or MAC budget.

With no command, runs the main job: trains LeNet-5 on MNIST (${MAIN_JOB_EPOCHS} epochs of the lenet5 recipe),
compresses conv2 + fc1 with energy-threshold Tucker-2 / low-rank ranks at 4x fewer parameters, fine-tunes one
epoch, and prints dense vs compressed: test accuracy, params, MACs, bytes on disk, latency.
Every 'tnzip compress' flag also applies to the main job (e.g. 'tnzip --budget 8x').

commands:
  train       train a zoo model (LeNet-300-100, LeNet-5, ResNet-20/32/56, ResNet-18, VGG-16)
  compress    select ranks under a budget, factorize, fine-tune, evaluate, save
  eval        evaluate a saved model on a test set
  executions  measure each factorized layer's fastest execution here and store it in model.json
  export      write a model as a tfjs LayersModel of stock layers
  summary     per-layer table of a model: kind, shape, ranks, params, MACs
  report      re-render a run's report.md, report.json and plots
  sweep       every method × budget × seed (a dense parent per seed): tables, mean ± std, Pareto plots
  results     merge sweep runs into docs/results.json (and its table in docs/results.md)
  worker      run sweep cells queued on Redis by 'tnzip sweep --queue' (any number of machines)

'tnzip COMMAND --help' lists a command's options. Common options: --json, --backend
auto|wasm|webgpu|cpu (default: $TNZIP_BACKEND, else wasm), --seed N.

exit codes: 0 ok, 1 runtime failure (e.g. training diverged), 2 usage error, 3 data or file error.
`;

/** Where the CLI writes: results to `stdout`, progress and errors to `stderr`. */
export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env?: Record<string, string | undefined>;
}

/**
 * Runs `tnzip` with `argv` (without the program name) and returns the exit code. Never throws:
 * errors become one line `tnzip: error: <message>` on stderr (a stack trace only for unexpected
 * errors, and only with TNZIP_DEBUG=1).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const first = argv[0];
    if (first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(MAIN_HELP);
      return EXIT.ok;
    }
    const mainJob = first === undefined || first.startsWith('-');
    const name = mainJob ? 'compress' : first;
    const cmd = COMMANDS[name];
    if (cmd === undefined) {
      throw new UsageError(
        `unknown command '${name}' (valid: ${Object.keys(COMMANDS).join(', ')}; see 'tnzip --help')`,
      );
    }
    const rest = mainJob ? argv : argv.slice(1);
    const { values, positionals } = parseFlags(mainJob ? 'tnzip' : name, rest, cmd.flags, cmd.positionals);
    if (values.help === true) {
      io.stdout.write(mainJob ? MAIN_HELP : cmd.help);
      return EXIT.ok;
    }
    const json = values.json === true;
    const ctx: CommandContext = {
      values,
      positionals,
      argv,
      out: (text) => io.stdout.write(`${text}\n`),
      progress: createProgress(io.stderr, { stepDelayMs: stepDelay(io.env ?? process.env) }),
      json,
    };
    if (mainJob) {
      return await compressCommand(ctx, { model: 'lenet5', epochs: MAIN_JOB_EPOCHS, mainJob: true });
    }
    return await cmd.run(ctx);
  } catch (e) {
    const code = exitCodeOf(e);
    io.stderr.write(`\ntnzip: error: ${oneLine(e)}\n`.replace(/^\n/, io.stderr.isTTY === true ? '\n' : ''));
    if (!isExpected(e) && (io.env ?? process.env).TNZIP_DEBUG === '1' && e instanceof Error)
      io.stderr.write(`${e.stack}\n`);
    return code;
  } finally {
    releaseRunLocks();
  }
}
