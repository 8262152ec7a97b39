import { cacheOnCpu, currentTarget, type LayerPlan, type Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { compressibleLayers } from './compressible.js';
import { checkLatencyBudget } from './latency-budget.js';
import { checkLatencyContext, denseLatency, latencyMeasure, tableRow } from './latency-dense.js';
import type { LatencySelectorOptions } from './latency-selector.js';
import { type LayerSpaceOptions, layerSpace } from './layer-space.js';
import type { SelectionContext } from './selector.js';

/**
 * Options of {@link checkLatencyReachable}: the format planned in, and how latency is measured (as
 * `latencySelector`'s options).
 */
export interface LatencyFloorOptions
  extends LayerSpaceOptions,
    Pick<LatencySelectorOptions, 'batch' | 'threads' | 'table' | 'timing'> {}

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
  const m = latencyMeasure(options);
  checkLatencyContext(context);
  const layers = compressibleLayers(model, context.inputShape, context.layers);
  const fastest = layers.map((c) => {
    const s = layerSpace(c, options);
    return s.plan(s.bounds.map(() => 1));
  });
  const row = tableRow(m, currentTarget(options.threads ?? 1));
  const { dense, layersDense, rest } = await denseLatency(model, context.inputShape, layers, row, m);
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
      `latency target ${lb.target} (${(1 / lb.target).toPrecision(3)}x faster) is out of reach at batch ${m.batch}: with every rank at 1 (${options.format ?? 'tucker2'}) the ${whole ? 'whole model still takes' : 'compressible layers still take'} ${floor.toPrecision(3)} of the dense time (at most ${(1 / floor).toPrecision(3)}x faster)`,
    );
  return floor;
}
