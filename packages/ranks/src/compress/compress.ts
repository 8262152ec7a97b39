import {
  cacheOnCpu,
  type FactorizationPlan,
  type FactorizeOptions,
  factorize,
  type Module,
  type OptimizedExecutions,
  optimizeExecutions,
  type Shape,
  type TimingOptions,
} from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import {
  type EvalResult,
  type EvaluateOptions,
  evaluate,
  type TrainData,
  type TrainOptions,
  type TrainResult,
  train,
} from '@tnzip/train';
import { type Budget, checkBudget } from '../budget.js';
import { now } from '../finish.js';
import { checkLatencyBudget } from '../latency-budget.js';
import type { RankSelector, SelectionContext, SelectionReport, TrainingPhase } from '../selector.js';
import { denseFallbackAfterChoice, executionAllowance } from './execution-budget.js';

/** Options of {@link compress}. */
export interface CompressOptions {
  readonly budget: Budget;
  /**
   * What the selector is told: layers, calibration, seed (also the seed of `factorize`'s random
   * parts), input shape (default `data.train.shape`). The pipeline adds `train` itself.
   */
  readonly context?: Omit<SelectionContext, 'train' | 'inputShape'> & { readonly inputShape?: Shape };
  /** Fine-tuning after factorization (`train` options: outDir, checkpoints, resume, …); null: none. */
  readonly finetune: TrainOptions | null;
  /**
   * A selector's training phase (BATUDE's phase 1), over defaults taken from `finetune`: its batch
   * size, lr, optimizer, schedule, warm-up, label smoothing, seed, normalization and augmentation —
   * not its logging, checkpoints, resume or hooks. The phase length comes from the selector.
   */
  readonly phase?: Partial<Omit<TrainOptions, 'epochs' | 'hooks'>>;
  /**
   * The data of that phase (default `data`): the training images less the held-out split given
   * as `context.validation`, so that a choice made on it (BATUDE's λ) is made on images the
   * phase never trained on; its `val` is evaluated after each phase epoch, its `test` too if set.
   */
  readonly phaseData?: TrainData;
  /** Options of `factorize` (ADA/SCADA's `adaInit`, execution mode); `seed` defaults to `context.seed`. */
  readonly factorize?: FactorizeOptions;
  /**
   * Test-split evaluation right after factorization (`before`) and after fine-tuning (`after`):
   * `evaluate` options (default batch 500, `finetune`'s normalization); `after: false` skips the
   * second (a caller that measures the saved model itself); `false` skips both. Needs `data.test`.
   */
  readonly evaluate?: false | (EvaluateOptions & { readonly after?: boolean });
  /** Called as each stage ends (progress lines). */
  readonly onStage?: (stage: CompressStage) => void;
  /**
   * Execution chosen by measurement after fine-tuning (`optimizeExecutions` of @tnzip/layers):
   * each factorized layer runs its fastest execution at each of `batches` (default 1 and 64)
   * that the budget permits (keeping it dense only where the budget allows), then the whole
   * model is checked against its dense parent (under a latency budget without the fallback to
   * dense, which would undo the plan). Absent or false: not measured.
   */
  readonly executions?:
    | false
    | (TimingOptions & {
        readonly batches?: readonly number[];
        readonly threads?: number;
        readonly tolerance?: number;
      });
  /**
   * Saves the compressed model, last (e.g. `save` of @tnzip/layers with the plan and metadata;
   * store `executions.choice` with `withExecutions` so loading honours it).
   */
  readonly save?: (model: Module, plan: FactorizationPlan, executions: OptimizedExecutions | null) => Promise<void>;
}

/** A stage of {@link compress}, as reported to `onStage`. */
export type CompressStage =
  | { readonly stage: 'selected'; readonly plan: FactorizationPlan; readonly report: SelectionReport }
  | { readonly stage: 'factorized'; readonly before: EvalResult | null }
  | { readonly stage: 'fine-tuned'; readonly result: TrainResult | null }
  | { readonly stage: 'evaluated'; readonly after: EvalResult | null }
  | { readonly stage: 'saved' };

/** What {@link compress} did. */
export interface CompressResult {
  /** The same module, its planned layers replaced by factorized ones and fine-tuned. */
  readonly model: Module;
  readonly plan: FactorizationPlan;
  /** The selector's report (`searchMs`: the rank search; BATUDE: its training phase). */
  readonly report: SelectionReport;
  /** Test metrics right after factorization and after fine-tuning (null when not evaluated). */
  readonly before: EvalResult | null;
  readonly after: EvalResult | null;
  /** The selector's training phase, when it has one. */
  readonly phase: TrainResult | null;
  readonly finetune: TrainResult | null;
  /** The measured execution choice and the whole-model check (null when not asked for). */
  readonly executions: OptimizedExecutions | null;
  /** Wall times, milliseconds. */
  readonly searchMs: number;
  readonly finetuneMs: number;
}

const PHASE_KEYS = [
  'batchSize',
  'lr',
  'optimizer',
  'schedule',
  'warmupSteps',
  'labelSmoothing',
  'seed',
  'normalize',
  'augment',
] as const;

function phaseRunner(
  model: Module,
  data: TrainData,
  options: CompressOptions,
  done: (r: TrainResult) => void,
): TrainingPhase {
  const base: Record<string, unknown> = {};
  const ft = options.finetune as Record<string, unknown> | null;
  if (ft !== null) for (const k of PHASE_KEYS) if (ft[k] !== undefined) base[k] = ft[k];
  return async ({ epochs, hooks }) => {
    const r = await train(model, data, {
      ...(base as Partial<TrainOptions>),
      ...options.phase,
      epochs,
      hooks,
    } as TrainOptions);
    done(r);
    return r;
  };
}

async function evaluateIf(model: Module, data: TrainData, options: CompressOptions, which: 'before' | 'after') {
  const ev = options.evaluate;
  if (ev === false || data.test === undefined || (which === 'after' && ev?.after === false)) return null;
  const normalize = ev?.normalize ?? options.finetune?.normalize;
  return evaluate(model, data.test, {
    batchSize: ev?.batchSize ?? 500,
    ...(normalize === undefined ? {} : { normalize }),
  });
}

/** `data` (or `options.phaseData`): an object with at least a training split. */
function checkSplits(data: TrainData, name: string): void {
  if (data === null || typeof data !== 'object' || data.train === undefined)
    throw new TnzipError('INVALID_ARGUMENT', `compress: ${name} must be { train, val?, test? } splits`);
}

function check(model: Module, data: TrainData, selector: RankSelector, options: CompressOptions): void {
  if (model === null || typeof model !== 'object' || typeof model.namedModules !== 'function')
    throw new TnzipError('INVALID_ARGUMENT', 'compress: model must be a Module');
  checkSplits(data, 'data');
  if (selector === null || typeof selector !== 'object' || typeof selector.select !== 'function')
    throw new TnzipError('INVALID_ARGUMENT', 'compress: selector must be a RankSelector { name, select }');
  if (options === null || typeof options !== 'object' || options.finetune === undefined)
    throw new TnzipError('INVALID_ARGUMENT', 'compress: options must be { budget, finetune (options or null), … }');
  if (options.phaseData !== undefined) checkSplits(options.phaseData, 'options.phaseData');
  if (options.budget?.metric === 'latency') checkLatencyBudget(options.budget, 'options.budget');
  else checkBudget(options.budget, 'options.budget');
}

/**
 * The compression pipeline — select → factorize → fine-tune → evaluate → save — the one the
 * `tnzip` CLI's `compress`, `sweep` and main job call. `selector.select(model, budget, context)`
 * plans the ranks (a selector that learns ranks while training, BATUDE, runs its phase through
 * `context.train`, which this pipeline provides); `factorize` replaces the planned layers,
 * initialized from the (possibly phase-trained) dense weights; `train` fine-tunes with
 * `options.finetune`; the test split is evaluated before and after fine-tuning; `options.save`
 * stores the result. Mutates `model` and returns it. Node-only (the training loop writes files).
 *
 * @throws TnzipError INVALID_ARGUMENT for bad arguments, NON_FINITE when fine-tuning diverged
 *   (a NaN/Inf test loss), and whatever the selector, `factorize` or `train` throw
 */
export async function compress(
  model: Module,
  data: TrainData,
  selector: RankSelector,
  options: CompressOptions,
): Promise<CompressResult> {
  check(model, data, selector, options);
  let phase: TrainResult | null = null;
  const context: SelectionContext = {
    ...options.context,
    inputShape: options.context?.inputShape ?? data.train.shape,
    train: phaseRunner(model, options.phaseData ?? data, options, (r) => {
      phase = r;
    }),
  };
  // Selectors and factorize read weights synchronously: on webgpu they must be on the CPU first.
  await cacheOnCpu(model);
  const { plan, report } = await selector.select(model, options.budget, context);
  options.onStage?.({ stage: 'selected', plan, report });
  await cacheOnCpu(model); // a training phase or a scoring pass ran the model since
  const seed = options.context?.seed;
  factorize(model, plan, { ...(seed === undefined ? {} : { seed }), ...options.factorize });
  const before = await evaluateIf(model, data, options, 'before');
  options.onStage?.({ stage: 'factorized', before });
  const started = now();
  const ft = options.finetune;
  // `train` runs each factorized layer in its cheaper execution by default (the same function): a
  // TT chain dearer than the dense layer trains on its rebuilt weight. The saved modes are unchanged.
  const finetune = ft === null || ft.epochs === 0 ? null : await train(model, data, ft);
  const finetuneMs = now() - started;
  options.onStage?.({ stage: 'fine-tuned', result: finetune });
  const after = await evaluateIf(model, data, options, 'after');
  if (after !== null && (!Number.isFinite(after.loss) || !Number.isFinite(after.top1)))
    throw new TnzipError(
      'NON_FINITE',
      `compress: the compressed model's test loss is ${after.loss}: fine-tuning diverged`,
    );
  options.onStage?.({ stage: 'evaluated', after });
  const ex = options.executions;
  const executions =
    ex === undefined || ex === false
      ? null
      : await optimizeExecutions(model, context.inputShape, {
          ...ex,
          keepDense: (p) => plan[p] !== undefined && plan[p]?.kind !== 'dense',
          allow: executionAllowance(report, options.budget),
          fallback: denseFallbackAfterChoice(options.budget),
        });
  if (options.save !== undefined) {
    await options.save(model, plan, executions);
    options.onStage?.({ stage: 'saved' });
  }
  return { model, plan, report, before, after, phase, finetune, executions, searchMs: report.searchMs, finetuneMs };
}
