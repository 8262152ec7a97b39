import { cacheOnCpu, type Module } from '@tnzip/layers';
import { checkInt, TnzipError } from '@tnzip/tensor';
import { type BatudeOptions, batudeHook } from './batude-hook.js';
import type { Budget } from './budget.js';
import { now } from './finish.js';
import type { RankSelector, SelectionContext } from './selector.js';

/** Options of {@link batudeSelector}. */
export interface BatudeSelectorOptions {
  /** Phase-1 (rank-learning) epochs, trained through `context.train` (default 1). */
  readonly epochs?: number;
  /** The ADMM hook's options (ρ, λ, update cadence, dense fallback). */
  readonly hook?: BatudeOptions;
}

/**
 * BATUDE as a {@link RankSelector}: runs phase 1 — training with {@link batudeHook} through
 * `context.train` (the compression pipeline provides it), which TRAINS `model` IN PLACE toward
 * the budget's low-rank set — and returns the plan of the learned ranks (Tucker-2 convs, rank-R
 * linears) and its report; the caller then factorizes the trained model and fine-tunes (the
 * pipeline does both). `report.searchMs` is the phase-1 wall time (`details.zUpdateMs` the Z/U
 * updates alone).
 *
 * @throws TnzipError INVALID_ARGUMENT when `context.train` is missing (BATUDE trains while it
 *   selects) or `options.epochs` is not an integer >= 1; INVALID_BUDGET
 */
export function batudeSelector(options: BatudeSelectorOptions = {}): RankSelector {
  const epochs = options.epochs ?? 1;
  checkInt(epochs, 'options.epochs', 1);
  return {
    name: 'batude',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      const runPhase = context?.train;
      if (typeof runPhase !== 'function')
        throw new TnzipError(
          'INVALID_ARGUMENT',
          'batude: context.train must run its training phase (use compress() of @tnzip/ranks/compress, which provides it)',
        );
      const hook = batudeHook(model, budget, context, options.hook);
      const started = now();
      try {
        await runPhase({ epochs, hooks: [hook] });
      } catch (e) {
        hook.dispose();
        throw e;
      }
      const phase1Ms = now() - started;
      await cacheOnCpu(model); // finalize reads the trained weights synchronously (webgpu: cache them first)
      const { plan, report } = hook.finalize(model, { factorize: false });
      return {
        plan,
        report: { ...report, searchMs: phase1Ms, details: { ...report.details, zUpdateMs: report.searchMs, phase1Ms } },
      };
    },
  };
}
