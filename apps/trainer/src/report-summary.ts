import { commandLine } from './html-page.js';
import type { Report } from './report.js';

/** The command line that produced the run, from `config.argv` (null when the config has none). */
export function runCommandLine(config: unknown): string | null {
  const argv = (config as { argv?: unknown } | null)?.argv;
  return Array.isArray(argv) && argv.every((a) => typeof a === 'string') ? commandLine(argv) : null;
}

/**
 * The run in sentences (Markdown code spans in backticks): whether it is the main job, dense training, compression and its
 * budget, accuracy right after factorization, search and fine-tuning times, wall time.
 */
export function summaryLines(r: Report): string[] {
  const res = r.results;
  const lines: string[] = [];
  // train runs keep the recipe in `train`, compress runs in `source.train`.
  const cfg = r.config as {
    train?: { recipe?: string };
    source?: { train?: { recipe?: string } };
    mainJob?: boolean;
  } | null;
  const recipe = cfg?.train?.recipe ?? cfg?.source?.train?.recipe ?? '?';
  if (cfg?.mainJob === true) lines.push('The main job: `tnzip` with no command (`pnpm start` at the repository root).');
  if (res.epochs.dense > 0) lines.push(`Dense training: ${res.epochs.dense} epoch(s), recipe \`${recipe}\`.`);
  if (res.selection !== undefined) {
    const s = res.selection;
    lines.push(
      `Compression: method \`${s.method}\`, budget ${(1 / s.budget.target).toFixed(2)}x ${s.budget.metric} (target ${s.budget.target}), ` +
        `achieved ${s.achieved.toFixed(4)} of the dense ${s.budget.metric} of the compressed layers; ` +
        `fine-tuning ${res.epochs.finetune} epoch(s).`,
    );
    if (res.beforeFinetune !== undefined)
      lines.push(
        `Test accuracy right after factorization, before fine-tuning: ${(100 * res.beforeFinetune.testAcc).toFixed(2)}%.`,
      );
  }
  if (res.timing !== undefined)
    lines.push(
      `Rank search: ${res.timing.searchSeconds.toFixed(2)} s; fine-tuning: ${res.timing.finetuneSeconds.toFixed(1)} s.`,
    );
  lines.push(`Wall time: ${res.wallSeconds.toFixed(1)} s.`);
  return lines;
}
