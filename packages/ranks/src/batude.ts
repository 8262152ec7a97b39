import * as tf from '@tensorflow/tfjs-core';
import { cacheOnCpu, type FactorizationPlan, type Module } from '@tnzip/layers';
import { checkInt, checkNumber, TnzipError } from '@tnzip/tensor';
import { type BatudeOptions, batudeHook } from './batude-hook.js';
import type { Budget } from './budget.js';
import { now } from './finish.js';
import { truncatedAccuracy } from './proxy-search-accuracy.js';
import type { Calibration, RankSelector, SelectionContext, SelectionReport, TrainingPhase } from './selector.js';

/**
 * BATUDE's default λ candidates ([P]): relative nuclear-norm weights (see `BatudeOptions.lambda`),
 * a first soft threshold of 0.1 %, 1 % and 10 % of each layer's largest singular value — papers.md
 * §1.3 suggests λ/ρ ≈ 1e-3…1e-2 of σ_max; we add one stronger.
 */
export const BATUDE_LAMBDAS: readonly number[] = [1e-3, 1e-2, 1e-1];

/** λ used by `'auto'` when the context has no validation or calibration data to choose with. */
export const BATUDE_DEFAULT_LAMBDA = 1e-2;

/** Options of {@link batudeSelector}. */
export interface BatudeSelectorOptions {
  /** Phase-1 (rank-learning) epochs, trained through `context.train` (default 1). */
  readonly epochs?: number;
  /**
   * The nuclear-norm weight λ (relative, see `BatudeOptions.lambda`): a number ≥ 0 (0: the
   * λ = 0 ablation, hard truncation only), or `'auto'` (default): phase 1 is run once per
   * candidate of `lambdas` from the same starting weights, and the λ whose read-out plan
   * truncates to the best accuracy on `context.validation` (else `context.calibration`) wins —
   * its trained weights are kept. Without either, {@link BATUDE_DEFAULT_LAMBDA}.
   */
  readonly lambda?: number | 'auto';
  /** The candidates of `lambda: 'auto'` (default {@link BATUDE_LAMBDAS}), each ≥ 0. */
  readonly lambdas?: readonly number[];
  /** The ADMM hook's options (ρ, update cadence, minimum rank, weighting, dense fallback); its `lambda` is ignored. */
  readonly hook?: BatudeOptions;
}

interface PhaseOutcome {
  readonly plan: FactorizationPlan;
  readonly report: SelectionReport;
  readonly ms: number;
}

/** One phase 1 with λ = `lambda`: trains `model` in place, returns the read-out plan and report. */
async function runPhase(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  train: TrainingPhase,
  epochs: number,
  hookOptions: BatudeOptions,
): Promise<PhaseOutcome> {
  const hook = batudeHook(model, budget, context, hookOptions);
  const started = now();
  try {
    await train({ epochs, hooks: [hook] });
  } catch (e) {
    hook.dispose();
    throw e;
  }
  const ms = now() - started;
  await cacheOnCpu(model); // finalize reads the trained weights synchronously (webgpu: cache them first)
  const { plan, report } = hook.finalize(model, { factorize: false });
  return { plan, report, ms };
}

/** λ by validation: one phase per candidate from the same start, the best truncated accuracy kept. */
async function chooseLambda(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  train: TrainingPhase,
  epochs: number,
  hookOptions: BatudeOptions,
  lambdas: readonly number[],
  data: Calibration,
): Promise<PhaseOutcome & { lambda: number; trials: Array<{ lambda: number; accuracy: number }> }> {
  const start = model.stateDict();
  let best: (PhaseOutcome & { lambda: number; accuracy: number; state: Map<string, tf.Tensor> }) | null = null;
  const trials: Array<{ lambda: number; accuracy: number }> = [];
  let total = 0;
  try {
    for (const [i, lambda] of lambdas.entries()) {
      if (i > 0) model.loadStateDict(start);
      const out = await runPhase(model, budget, context, train, epochs, { ...hookOptions, lambda });
      total += out.ms;
      const accuracy = await truncatedAccuracy(model, out.plan, data);
      trials.push({ lambda, accuracy });
      if (best === null || accuracy > best.accuracy) {
        if (best !== null) tf.dispose([...best.state.values()]);
        best = { ...out, lambda, accuracy, state: model.stateDict() };
      }
    }
    const chosen = best as NonNullable<typeof best>;
    model.loadStateDict(chosen.state);
    return { plan: chosen.plan, report: chosen.report, ms: total, lambda: chosen.lambda, trials };
  } finally {
    tf.dispose([...start.values()]);
    if (best !== null) tf.dispose([...best.state.values()]);
  }
}

function checkOptions(options: BatudeSelectorOptions): { epochs: number; lambdas: readonly number[] } {
  const epochs = options.epochs ?? 1;
  checkInt(epochs, 'options.epochs', 1);
  if (options.lambda !== undefined && options.lambda !== 'auto') checkNumber(options.lambda, 'options.lambda', 0, 1);
  const lambdas = options.lambdas ?? BATUDE_LAMBDAS;
  if (!Array.isArray(lambdas) || lambdas.length === 0)
    throw new TnzipError('INVALID_ARGUMENT', 'options.lambdas must be a non-empty list of numbers in [0, 1]');
  lambdas.forEach((l, i) => {
    checkNumber(l, `options.lambdas[${i}]`, 0, 1);
  });
  return { epochs, lambdas };
}

/**
 * BATUDE as a {@link RankSelector}: runs phase 1 — training with {@link batudeHook} through
 * `context.train` (the compression pipeline provides it), which TRAINS `model` IN PLACE toward
 * the budget's low-rank set, with the nuclear-norm soft threshold λ — and returns the plan of the
 * learned ranks (Tucker-2 convs, rank-R linears) and its report; the caller then factorizes the
 * trained model and fine-tunes (the pipeline does both). With `lambda: 'auto'` (default) phase 1
 * runs once per λ candidate (see {@link BatudeSelectorOptions.lambda}).
 *
 * Report: `searchMs` is the wall time of all phase-1 runs; `details.residuals` the per-layer
 * `‖W − Z‖/‖W‖` at the end of phase 1 (how close the trained weights came to the low-rank set),
 * `details.lambda` the λ used, `details.lambdaChosenBy` ('fixed' | 'validation' | 'calibration'
 * | 'default') and `details.lambdaImages` how many images chose it, `details.lambdaTrials` the
 * truncated accuracy of each candidate, `details.zUpdateMs`
 * the Z/U updates of the kept run.
 *
 * @throws TnzipError INVALID_ARGUMENT when `context.train` is missing (BATUDE trains while it
 *   selects), `options.epochs` is not an integer >= 1, or a λ is outside [0, 1]; INVALID_BUDGET
 */
export function batudeSelector(options: BatudeSelectorOptions = {}): RankSelector {
  const { epochs, lambdas } = checkOptions(options);
  return {
    name: 'batude',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      const train = context?.train;
      if (typeof train !== 'function')
        throw new TnzipError(
          'INVALID_ARGUMENT',
          'batude: context.train must run its training phase (use compress() of @tnzip/ranks/compress, which provides it)',
        );
      const hookOptions = options.hook ?? {};
      const data = context.validation ?? context.calibration;
      const auto = (options.lambda ?? 'auto') === 'auto';
      let out: PhaseOutcome & { lambda: number; trials: Array<{ lambda: number; accuracy: number }> };
      let chosenBy: string;
      if (auto && data !== undefined && lambdas.length > 1) {
        out = await chooseLambda(model, budget, context, train, epochs, hookOptions, lambdas, data);
        chosenBy = context.validation !== undefined ? 'validation' : 'calibration';
      } else {
        const lambda = auto
          ? lambdas.length === 1
            ? (lambdas[0] as number)
            : BATUDE_DEFAULT_LAMBDA
          : (options.lambda as number);
        out = {
          ...(await runPhase(model, budget, context, train, epochs, { ...hookOptions, lambda })),
          lambda,
          trials: [],
        };
        chosenBy = auto ? (lambdas.length === 1 ? 'fixed' : 'default') : 'fixed';
      }
      const { plan, report } = out;
      return {
        plan,
        report: {
          ...report,
          searchMs: out.ms,
          details: {
            ...report.details,
            zUpdateMs: report.searchMs,
            phase1Ms: out.ms,
            epochs,
            lambda: out.lambda,
            lambdaChosenBy: chosenBy,
            lambdaImages: chosenBy === 'validation' || chosenBy === 'calibration' ? data?.x.shape[0] : 0,
            lambdaTrials: out.trials,
          },
        },
      };
    },
  };
}
