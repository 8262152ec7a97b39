import type { Module, Shape } from '../module.js';
import {
  applyExecutions,
  type ChooseOptions,
  chooseExecutions,
  chosenExecutions,
  type Execution,
  type ExecutionChoice,
  type ExecutionPlan,
  type LayerExecution,
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

/** Options of {@link optimizeExecutions}. */
export interface OptimizeOptions extends ChooseOptions {
  /** A whole-model ratio within `1 + tolerance` counts as not slower. Default 0.05. */
  readonly tolerance?: number;
  /**
   * Whether layers the budget lets stay dense become dense when the whole model is slower than its
   * dense parent. Default true; a latency budget turns it off (its plan was priced per layer, and
   * a model made dense would no longer meet it).
   */
  readonly fallback?: boolean;
}

/**
 * Whether the whole-model fallback should make layers dense: only when two successive
 * measurements both find the model slower than `slack` times its parent at some batch size (one
 * slow measurement on a shared machine is usually another job's burst).
 */
export function confirmedSlower(first: ModelSpeed, second: ModelSpeed, slack: number): boolean {
  return first.ratios.some((r) => r > slack) && second.ratios.some((r) => r > slack);
}

/** One note per layer and batch where the fastest execution is not the one that runs. */
function choiceNotes(first: ExecutionChoice, options: OptimizeOptions): string[] {
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
  return notes;
}

/** The layers the budget lets stay dense that do not run dense yet. */
function densifiable(first: ExecutionChoice, options: OptimizeOptions): LayerExecution[] {
  return first.layers.filter(
    (l) =>
      !l.chosen.every((e) => e === 'dense') &&
      options.keepDense?.(l.path) === true &&
      (options.allow?.(l.path, 'dense') ?? true),
  );
}

/**
 * Chooses each factorized layer's execution by measurement ({@link chooseExecutions}), runs it,
 * then checks the whole model against its dense parent at the same batch sizes. Where it is
 * slower at some batch in two successive measurements ({@link confirmedSlower}) and `fallback`
 * is on, every layer the budget lets stay dense (`keepDense` and `allow`) becomes dense and the
 * check is repeated. The notes say where the budget forbade a faster form and whether the model
 * ends slower than its dense parent.
 */
export async function optimizeExecutions(
  model: Module,
  inputShape: Shape,
  options: OptimizeOptions = {},
): Promise<OptimizedExecutions> {
  const slack = 1 + (options.tolerance ?? 0.05);
  const first = await chooseExecutions(model, inputShape, options);
  const notes = choiceNotes(first, options);
  let executions = chosenExecutions(first);
  applyExecutions(model, executions);
  let choice = first;
  let speed = await compareWithDense(model, inputShape, first.batches, options);
  const densify = options.fallback === false ? [] : densifiable(first, options);
  if (densify.length > 0 && speed.ratios.some((r) => r > slack)) {
    const again = await compareWithDense(model, inputShape, first.batches, options);
    if (confirmedSlower(speed, again, slack)) {
      notes.push(
        `whole model ${speed.ratios.map(fmt).join('/')}x then ${again.ratios.map(fmt).join('/')}x of dense at batch ${speed.batches.join('/')}: ${densify.map((l) => l.path).join(', ')} kept dense`,
      );
      const back = Object.fromEntries(densify.map((l) => [l.path, first.batches.map(() => 'dense' as Execution)]));
      applyExecutions(model, { batches: first.batches, layers: back });
      executions = { batches: first.batches, layers: { ...executions.layers, ...back } };
      choice = {
        ...first,
        layers: first.layers.map((l) => (l.path in back ? { ...l, chosen: back[l.path] as Execution[] } : l)),
      };
      speed = await compareWithDense(model, inputShape, first.batches, options);
    } else speed = again;
  }
  // With every layer dense the model is its dense parent: a ratio above 1 is timing noise.
  const notSlower =
    choice.layers.every((l) => l.chosen.every((e) => e === 'dense')) || speed.ratios.every((r) => r <= slack);
  if (!notSlower)
    notes.push(
      `the model stays ${speed.ratios.map(fmt).join('/')}x of its dense parent's latency at batch ${speed.batches.join('/')}: ${options.fallback === false ? 'the budget keeps its factorized forms' : 'the budget forbids the faster (dense) forms'}`,
    );
  return { choice, executions, speed, notSlower, notes };
}
