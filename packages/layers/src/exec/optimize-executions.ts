import type { Module, Shape } from '../module.js';
import {
  applyExecutions,
  type ChooseOptions,
  chooseExecutions,
  chosenExecutions,
  type Execution,
  type ExecutionChoice,
  type ExecutionPlan,
} from './choose-executions.js';
import { compareWithDense, type ModelSpeed } from './not-slower.js';

/** What {@link optimizeExecutions} did. */
export interface OptimizedExecutions {
  /** The per-layer measurement; `chosen` updated where the whole-model check fell back to dense. */
  readonly choice: ExecutionChoice;
  /** Layer path → the execution now running at each batch size. */
  readonly executions: ExecutionPlan;
  /** Whole-model latency against the dense parent, after the choice (and any fallback). */
  readonly speed: ModelSpeed;
  /** Whether the model is at least as fast as its dense parent at every batch size measured. */
  readonly notSlower: boolean;
  /** One line per decision a report should show (a faster form the budget forbade, a fallback). */
  readonly notes: readonly string[];
}

const fmt = (v: number): string => v.toFixed(3);

/**
 * Chooses each factorized layer's execution by measurement ({@link chooseExecutions}), runs it,
 * then checks the whole model against its dense parent at the same batch sizes: where it is
 * slower at some batch, every layer the budget lets stay dense (`keepDense` and `allow`) becomes
 * dense and the check is repeated. The notes say where the budget forbade a faster form and
 * whether the model ends slower than its dense parent. A ratio within `1 + tolerance` (default
 * 0.05: the spread of interleaved medians on a loaded machine) counts as not slower.
 */
export async function optimizeExecutions(
  model: Module,
  inputShape: Shape,
  options: ChooseOptions & { readonly tolerance?: number } = {},
): Promise<OptimizedExecutions> {
  const tolerance = options.tolerance ?? 0.05;
  const first = await chooseExecutions(model, inputShape, options);
  const notes: string[] = [];
  for (const l of first.layers)
    first.batches.forEach((n, b) => {
      const f = l.fastest[b] as Execution;
      const c = l.chosen[b] as Execution;
      if (f === c) return;
      const forbidden = !(options.allow?.(l.path, f) ?? true);
      const why = forbidden
        ? 'but the budget forbids it'
        : 'at this batch only (a layer kept dense runs dense at every batch size)';
      notes.push(
        `${l.path} at batch ${n}: '${f}' is faster (${fmt((l.ms[f] ?? [])[b] ?? Number.NaN)} ms) ${why}; runs '${c}' (${fmt((l.ms[c] ?? [])[b] ?? Number.NaN)} ms)`,
      );
    });
  let executions = chosenExecutions(first);
  applyExecutions(model, executions);
  let choice = first;
  let speed = await compareWithDense(model, inputShape, first.batches, options);
  const slack = 1 + tolerance;
  if (speed.ratios.some((r) => r > slack)) {
    const densify = first.layers.filter(
      (l) =>
        !l.chosen.every((e) => e === 'dense') &&
        options.keepDense?.(l.path) === true &&
        (options.allow?.(l.path, 'dense') ?? true),
    );
    if (densify.length > 0) {
      notes.push(
        `whole model ${speed.ratios.map(fmt).join('/')}x of dense at batch ${speed.batches.join('/')}: ${densify.map((l) => l.path).join(', ')} kept dense`,
      );
      const back = Object.fromEntries(densify.map((l) => [l.path, first.batches.map(() => 'dense' as Execution)]));
      applyExecutions(model, { batches: first.batches, layers: back });
      executions = { batches: first.batches, layers: { ...executions.layers, ...back } };
      choice = {
        ...first,
        layers: first.layers.map((l) => (l.path in back ? { ...l, chosen: back[l.path] as Execution[] } : l)),
      };
      speed = await compareWithDense(model, inputShape, first.batches, options);
    }
  }
  // With every layer dense the model is its dense parent: a ratio above 1 is timing noise.
  const notSlower =
    choice.layers.every((l) => l.chosen.every((e) => e === 'dense')) || speed.ratios.every((r) => r <= slack);
  if (!notSlower)
    notes.push(
      `the model stays ${speed.ratios.map(fmt).join('/')}x of its dense parent's latency at batch ${speed.batches.join('/')}: the budget forbids the faster (dense) forms`,
    );
  return { choice, executions, speed, notSlower, notes };
}
