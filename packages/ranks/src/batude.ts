import { cacheOnCpu, type FactorizationPlan, type Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type TrainData, type TrainOptions, type TrainResult, train } from '@tnzip/train';
import { type BatudeOptions, batudeHook } from './batude-hook.js';
import type { Budget } from './budget.js';
import { now } from './finish.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';

/** Training options of a BATUDE phase (the hook is added by BATUDE). */
export type BatudeTrainOptions = Omit<TrainOptions, 'hooks'> & { readonly hooks?: TrainOptions['hooks'] };

/** Options of {@link batudeSelector}: the data and schedule of phase 1 (rank learning). */
export interface BatudeSelectorOptions {
  readonly data: TrainData;
  /** Phase-1 training (ADMM toward the budget's low-rank set). */
  readonly train: BatudeTrainOptions;
  readonly hook?: BatudeOptions;
}

/** Options of {@link batude}`.compress`. */
export interface BatudeCompressOptions extends BatudeSelectorOptions {
  /** Input shape of one example and (optionally) the layers to compress. */
  readonly context: Pick<SelectionContext, 'inputShape' | 'layers'>;
  /** Phase-2 fine-tuning of the factorized network; null skips it. */
  readonly finetune: BatudeTrainOptions | null;
}

/** What {@link batude}`.compress` returns. */
export interface BatudeCompressResult {
  /** The same module, its layers replaced by Tucker-2 / rank-R layers and fine-tuned. */
  readonly model: Module;
  readonly plan: FactorizationPlan;
  /** `searchMs` = phase-1 wall time (the one-shot training is BATUDE's rank search); details add `zUpdateMs`, `finetuneMs`. */
  readonly report: SelectionReport;
  readonly phase1: TrainResult;
  readonly finetune: TrainResult | null;
}

function checkData(data: TrainData, where: string): void {
  if (data === null || typeof data !== 'object' || data.train === undefined)
    throw new TnzipError('INVALID_ARGUMENT', `${where}: options.data must be training data { train, val?, test? }`);
}

async function phase1(
  model: Module,
  budget: Budget,
  context: Pick<SelectionContext, 'inputShape' | 'layers'>,
  options: BatudeSelectorOptions,
  factorizeNow: boolean,
): Promise<{ plan: FactorizationPlan; report: SelectionReport; result: TrainResult }> {
  const hook = batudeHook(model, budget, context, options.hook);
  const started = now();
  let result: TrainResult;
  try {
    result = await train(model, options.data, { ...options.train, hooks: [...(options.train.hooks ?? []), hook] });
  } catch (e) {
    hook.dispose();
    throw e;
  }
  const phase1Ms = now() - started;
  await cacheOnCpu(model); // finalize reads the trained weights synchronously (webgpu: cache them first)
  const { plan, report } = hook.finalize(model, { factorize: factorizeNow });
  return {
    plan,
    report: { ...report, searchMs: phase1Ms, details: { ...report.details, zUpdateMs: report.searchMs, phase1Ms } },
    result,
  };
}

/**
 * BATUDE as a {@link RankSelector}: runs phase 1 ({@link batudeHook} inside `train`) on `model`
 * — which TRAINS `model` IN PLACE toward the budget's low-rank set — and returns the plan of the
 * learned ranks (Tucker-2 convs, rank-R linears) and its report; the caller then factorizes the
 * trained model (`factorize(model, plan)`) and fine-tunes. `report.searchMs` is the phase-1 wall
 * time. Asynchronous.
 */
export function batudeSelector(options: BatudeSelectorOptions): RankSelector {
  checkData(options?.data, 'batudeSelector');
  return {
    name: 'batude',
    async select(model: Module, budget: Budget, context: SelectionContext) {
      const { plan, report } = await phase1(model, budget, context, options, false);
      return { plan, report };
    },
  };
}

/**
 * The whole BATUDE procedure: phase 1 (training with the hook), read-out of the ranks,
 * replacement of the layers by Tucker2Conv2d (HOSVD of the trained weights) / rank-R TTLinear
 * (`factorize`), phase 2 fine-tuning. Mutates and returns `model`.
 */
async function compress(
  model: Module,
  data: TrainData,
  budget: Budget,
  options: Omit<BatudeCompressOptions, 'data'>,
): Promise<BatudeCompressResult> {
  checkData(data, 'batude.compress');
  const p1 = await phase1(model, budget, options.context, { ...options, data }, true);
  let ft: TrainResult | null = null;
  let finetuneMs = 0;
  if (options.finetune !== null) {
    const started = now();
    ft = await train(model, data, options.finetune);
    finetuneMs = now() - started;
  }
  return {
    model,
    plan: p1.plan,
    report: { ...p1.report, details: { ...p1.report.details, finetuneMs } },
    phase1: p1.result,
    finetune: ft,
  };
}

/** BATUDE entry points: `batude.compress(model, data, budget, options)`, the hook and the selector. */
export const batude = {
  /** The whole BATUDE procedure: phase 1 with the hook, rank read-out, factorization, fine-tuning. */
  compress,
  /** {@link batudeHook} */
  hook: batudeHook,
  /** {@link batudeSelector} */
  selector: batudeSelector,
} as const;
