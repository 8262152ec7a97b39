import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { heldOutDataset } from './held-out.js';
import type { Progress } from './progress.js';
import { type CompressStep, runCompressStep } from './select-step.js';

/**
 * The factors of the base fine-tuning lr (a tenth of the dense recipe's lr) that `--finetune-lr auto`
 * tries, largest first: the default and one and two half-decades below it. A method whose factors
 * multiply its steps (SCADA's shared core carries every layer's scale) diverges at the default.
 */
export const LR_FACTORS: readonly number[] = [1, 1 / Math.sqrt(10), 1 / 10];

/**
 * Half-decades `--finetune-lr auto` goes on beyond the grid, so that the choice is not its edge: below
 * its smallest candidate while that one is the best so far or every one has diverged, above its
 * largest while that one is the best (a high storage ratio, whose few stored numbers learn slowly).
 */
export const LR_EXTEND = 2;

/** One candidate: its validation accuracy after the probe, or null with the error when it diverged. */
export interface LrTrial {
  readonly lr: number;
  readonly valAcc: number | null;
  readonly error?: string;
}

/** What {@link chooseFinetuneLr} chose and saw (a cell's `details.finetuneLr`). */
export interface LrChoice {
  /** The lr the fine-tuning ran at (after {@link atChosenLr}: the best that did not diverge). */
  readonly lr: number;
  /** Training images held out for the choice (the probes train on the rest, one epoch each). */
  readonly valSize: number;
  readonly probeEpochs: number;
  readonly trials: readonly LrTrial[];
  /**
   * Candidates whose full fine-tuning diverged although their one-epoch probe did not (an lr at the
   * edge of stability over the longer schedule), best first, with the error ({@link atChosenLr}).
   */
  readonly diverged?: readonly LrTrial[];
}

/** Where the probes log, what they say on the progress line, and their distillation teacher. */
export interface LrProbeRun {
  readonly outDir: string;
  readonly label: string;
  readonly progress: Progress;
  /** The dense parent, when the step distils (`step.finetune.distill`). */
  readonly teacher?: Module;
}

/**
 * Chooses the fine-tuning learning rate of `step` on a validation split: for each `factors[i] ·
 * step.finetune.lr`, a fresh model from `fresh()` goes through the whole step (select, factorize,
 * quantization-aware when uint8) and one epoch of fine-tuning on the training split less the
 * validation split (`heldOutDataset`, seeded by `step.finetune.seed`), then is scored by validation
 * accuracy. While the smallest lr tried is the best (or all diverged), up to `extend` more are tried,
 * each 10^-0.5 of the last; then, while the largest is the best, up to `extend` more, each 10^0.5 of
 * the largest. The best wins (ties: the larger lr); a probe that diverges (`NON_FINITE`) scores
 * nothing.
 *
 * @throws TnzipError `NON_FINITE` when every candidate diverged; whatever the step throws otherwise
 *   (an unreachable budget fails every candidate alike, so it is not swallowed).
 */
export async function chooseFinetuneLr(
  fresh: () => Promise<Module>,
  ds: Dataset,
  step: CompressStep,
  run: LrProbeRun,
  factors: readonly number[] = LR_FACTORS,
  extend: number = LR_EXTEND,
): Promise<LrChoice> {
  const probe = heldOutDataset(ds, step.finetune.seed);
  const trials: LrTrial[] = [];
  const tryLr = async (lr: number): Promise<void> => {
    trials.push(await probeOne(fresh, probe.ds, { ...step, finetune: { ...step.finetune, epochs: 1, lr } }, run));
  };
  // The grid's lower edge wins (or nothing scored): the best may lie below it.
  const atLowerEdge = (): boolean => [null, trials.at(-1)].includes(bestOf(trials));
  // Its upper edge wins: the best may lie above it.
  const largest = (): LrTrial => trials.reduce((m, t) => (t.lr > m.lr ? t : m));
  for (const f of factors) await tryLr(step.finetune.lr * f);
  for (let i = 0; i < extend && atLowerEdge(); i++) await tryLr((trials.at(-1) as LrTrial).lr / Math.sqrt(10));
  for (let i = 0; i < extend && bestOf(trials) === largest(); i++) await tryLr(largest().lr * Math.sqrt(10));
  const best = bestOf(trials);
  if (best === null)
    throw new TnzipError(
      'NON_FINITE',
      `--finetune-lr auto: every candidate diverged (${trials.map((t) => t.lr.toPrecision(3)).join(', ')})`,
    );
  return { lr: best.lr, valSize: probe.valSize, probeEpochs: 1, trials };
}

/** The trial of the highest validation accuracy (the first, i.e. the largest lr, on ties); null if none scored. */
function bestOf(trials: readonly LrTrial[]): LrTrial | null {
  return trials.reduce<LrTrial | null>(
    (b, t) => (t.valAcc !== null && (b === null || t.valAcc > (b.valAcc as number)) ? t : b),
    null,
  );
}

async function probeOne(
  fresh: () => Promise<Module>,
  ds: Dataset,
  step: CompressStep,
  run: LrProbeRun,
): Promise<LrTrial> {
  const lr = step.finetune.lr;
  const model = await fresh();
  // The probe's `test` split is the validation split: its epoch lines say so.
  const progress: Progress = { ...run.progress, train: (label) => run.progress.train(label, 'validation') };
  try {
    const out = await runCompressStep(model, ds, step, {
      outDir: path.join(run.outDir, 'lr-probes', `lr-${lr.toPrecision(3)}`),
      resume: false,
      label: `${run.label} lr ${lr.toPrecision(3)} probe`,
      progress,
      ...(run.teacher === undefined ? {} : { teacher: run.teacher }),
    });
    run.progress.note(
      `${run.label}: lr ${lr.toPrecision(3)} → validation acc ${(100 * out.after.testAcc).toFixed(2)}%`,
    );
    return { lr, valAcc: out.after.testAcc };
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'NON_FINITE') throw e;
    run.progress.note(`${run.label}: lr ${lr.toPrecision(3)} diverged`);
    return { lr, valAcc: null, error: (e as Error).message };
  } finally {
    model.dispose();
  }
}

/** The scored candidates of `choice`, best validation accuracy first (ties: the larger lr). */
export function rankedLrs(choice: LrChoice): number[] {
  return choice.trials
    .filter((t): t is LrTrial & { valAcc: number } => t.valAcc !== null)
    .sort((a, b) => b.valAcc - a.valAcc || b.lr - a.lr)
    .map((t) => t.lr);
}

/**
 * Runs `attempt` (the whole compression step with its full fine-tuning) at the chosen lr and, when it
 * diverges (`NON_FINITE`) where its one-epoch probe did not, at the next best candidate, and so on:
 * a probe's one epoch cannot show that an lr at the edge of stability diverges over the full
 * schedule on the whole training split. Candidates already in `choice.diverged` (a resumed run's)
 * are skipped. `retry` is true once an attempt of this call has diverged: `attempt` must then start
 * afresh (a new copy of the parent, no checkpoint of the diverged run). `onDiverged` is told each
 * time, with the updated choice (to persist it for a resume).
 *
 * @returns the successful attempt's result and the choice with `lr` = the lr it ran at and
 *   `diverged` = the candidates that diverged before it
 * @throws TnzipError `NON_FINITE` when every scored candidate diverged; whatever `attempt` throws otherwise
 */
export async function atChosenLr<T>(
  choice: LrChoice,
  attempt: (lr: number, retry: boolean) => Promise<T>,
  onDiverged: (updated: LrChoice) => void | Promise<void>,
): Promise<{ result: T; choice: LrChoice }> {
  const diverged: LrTrial[] = [...(choice.diverged ?? [])];
  const failed = new Set(diverged.map((t) => t.lr));
  for (const lr of rankedLrs(choice).filter((l) => !failed.has(l))) {
    try {
      const result = await attempt(lr, diverged.length > failed.size);
      return { result, choice: { ...choice, lr, ...(diverged.length === 0 ? {} : { diverged }) } };
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'NON_FINITE') throw e;
      diverged.push({ lr, valAcc: null, error: (e as Error).message });
      await onDiverged({ ...choice, diverged });
    }
  }
  throw new TnzipError(
    'NON_FINITE',
    `--finetune-lr auto: the fine-tuning diverged at every candidate that passed its probe (${diverged.map((t) => t.lr.toPrecision(3)).join(', ')})`,
  );
}
