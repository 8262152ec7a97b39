import { cacheOnCpu, currentTarget, type LayerPlan, type Module, type TimingOptions } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { type CompressibleLayer, compressibleLayers } from './compressible.js';
import { checkLatencyBudget } from './latency-budget.js';
import { denseLatency } from './latency-dense.js';
import { LatencyTable } from './latency-table.js';
import { type LayerSpaceOptions, layerSpace } from './layer-space.js';
import type { SelectionContext } from './selector.js';

/** Options of {@link checkLatencyReachable}: as `latencySelector`'s, plus the format planned in. */
export interface LatencyFloorOptions extends LayerSpaceOptions {
  /** Batch size the latency is budgeted at. Default 64. */
  readonly batch?: number;
  /** Threads of the active backend (part of the table's key). Default 1. */
  readonly threads?: number;
  /** A table to read and fill (pass the selection's own to reuse its dense rows). Default: a new one. */
  readonly table?: LatencyTable;
  /** Timing of each row. Default warm-up 2, 5 rounds (as the selector). */
  readonly timing?: TimingOptions;
}

/**
 * How many times slower than the target the fastest plan must be for the budget to be refused:
 * timings on a busy machine (two-thread wasm most of all) move by tens of percent, and a budget
 * the selection could meet must never be refused here.
 */
export const LATENCY_FLOOR_MARGIN = 2;

/**
 * Refuses a latency budget far beyond any plan of `options.format`, before any training: times
 * each compressible layer dense and with every rank at 1 — the format's fastest plan — in the
 * same table and by the same rules as `latencySelector` (a layer counts at the faster of the
 * two; scope `'model'` adds the rest of the model), and throws when even that plan takes more
 * than {@link LATENCY_FLOOR_MARGIN} times the budget's target of the dense time. Only timing: the
 * weights do not matter, so an untrained model of the architecture will do. A budget let through
 * may still be refused by the selection, whose plans keep more rank. Returns the fastest plan's
 * time over the dense time of what the budget counts (the compressible layers, or the whole
 * model).
 *
 * @throws TnzipError INVALID_BUDGET (not a latency budget; unreachable), INVALID_ARGUMENT (options, input shape, format)
 */
export async function checkLatencyReachable(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  options: LatencyFloorOptions = {},
): Promise<number> {
  const lb = checkLatencyBudget(budget);
  const batch = options.batch ?? 64;
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096)
    throw new TnzipError('INVALID_ARGUMENT', `options.batch must be an integer in [1, 4096], got ${String(batch)}`);
  if (context === null || typeof context !== 'object' || !Array.isArray(context.inputShape))
    throw new TnzipError('INVALID_ARGUMENT', 'context.inputShape must be the input shape of one example');
  const layers = compressibleLayers(model, context.inputShape, context.layers);
  const fastest = layers.map((c) => {
    const s = layerSpace(c, options);
    return s.plan(s.bounds.map(() => 1));
  });
  const table = options.table ?? new LatencyTable();
  const target = currentTarget(options.threads ?? 1);
  const timing: TimingOptions = { warmup: 2, rounds: 5, ...options.timing };
  const row = (c: CompressibleLayer, p: LayerPlan) => table.measure(c.layer, p, c.inputShape, batch, target, timing);
  const { dense, layersDense, rest } = await denseLatency(model, context.inputShape, layers, row, batch, timing);
  // The rank-1 rows factorize the weights, which reads them synchronously (webgpu: cache first).
  await cacheOnCpu(model);
  let least = 0;
  for (const [l, c] of layers.entries())
    least += Math.min(dense[l] as number, (await row(c, fastest[l] as LayerPlan)).ms);
  const whole = (lb.scope ?? 'layers') === 'model';
  const floor = whole ? (rest + least) / (rest + layersDense) : least / layersDense;
  if (floor > LATENCY_FLOOR_MARGIN * lb.target)
    throw new TnzipError(
      'INVALID_BUDGET',
      `latency target ${lb.target} (${(1 / lb.target).toPrecision(3)}x faster) is out of reach at batch ${batch}: with every rank at 1 (${options.format ?? 'tucker2'}) the ${whole ? 'whole model still takes' : 'compressible layers still take'} ${floor.toPrecision(3)} of the dense time (at most ${(1 / floor).toPrecision(3)}x faster)`,
    );
  return floor;
}
