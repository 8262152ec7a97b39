import { type FactorizationPlan, type LayerPlan, type Module, planCost } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type Budget, checkBudget, metricOf } from './budget.js';
import { type CompressibleLayer, compressibleLayers } from './compressible.js';
import type { LayerReport, SelectionContext, SelectionReport } from './selector.js';

/** What {@link selectionReport} needs besides the model and the plan. */
export interface ReportOptions {
  readonly method: string;
  readonly budget: Budget;
  /** Input shape and (optionally) the compressible layers, as given to the selector. */
  readonly context: Pick<SelectionContext, 'inputShape' | 'layers'>;
  /** Wall time of the search, milliseconds. Default 0. */
  readonly searchMs?: number;
  readonly details?: Readonly<Record<string, unknown>>;
  /** The compressible layers, when the caller already has them (skips a cost pass). */
  readonly layers?: readonly CompressibleLayer[];
}

/**
 * Turns a plan into a {@link SelectionReport}: for every compressible layer (those of
 * `context.layers`, default every Conv2d / Linear) its dense cost (`layerCosts`, at the layer's
 * real input shape in the model) and its planned cost (`planCost`, factorized execution; a layer
 * the plan leaves out or marks 'dense' keeps its dense cost), their sums, and `achieved` =
 * planned / dense by the budget's metric over the budget's scope (`achievedLayers`, `achievedModel`:
 * over the compressible layers and over the whole model, the other layers at their model cost). In a SCADA group the first layer (module order) counts
 * the shared core, as `factorize` builds it.
 *
 * @throws TnzipError INVALID_BUDGET, INVALID_ARGUMENT (a plan entry outside the compressible
 *   layers), and whatever `planCost` throws for an invalid plan entry
 */
export function selectionReport(model: Module, plan: FactorizationPlan, options: ReportOptions): SelectionReport {
  const budget = checkBudget(options.budget);
  const layers = options.layers ?? compressibleLayers(model, options.context.inputShape, options.context.layers);
  const known = new Set(layers.map((c) => c.path));
  for (const p of Object.keys(plan)) {
    if (!known.has(p))
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `selectionReport: the plan names '${p}', which is not one of the compressible layers (${[...known].join(', ')})`,
      );
  }
  const groups = new Set<string>();
  const rows: LayerReport[] = layers.map((c) => {
    const lp: LayerPlan = plan[c.path] ?? { kind: 'dense' };
    let owns = true;
    if (lp.kind === 'scada-tucker') {
      owns = !groups.has(lp.group);
      groups.add(lp.group);
    }
    const cost = lp.kind === 'dense' ? c.dense : planCost(c.layer, lp, c.inputShape, { ownsSharedCore: owns });
    return {
      layer: c.path,
      plan: lp,
      denseParams: c.dense.params,
      denseMacs: c.dense.macs,
      params: cost.params,
      macs: cost.macs,
    };
  });
  const dense = {
    params: rows.reduce((a, r) => a + r.denseParams, 0),
    macs: rows.reduce((a, r) => a + r.denseMacs, 0),
  };
  const planned = { params: rows.reduce((a, r) => a + r.params, 0), macs: rows.reduce((a, r) => a + r.macs, 0) };
  const metric = budget.metric;
  const whole = model.cost(options.context.inputShape);
  const wholeModel = {
    dense: { params: whole.params, macs: whole.macs },
    planned: {
      params: whole.params - dense.params + planned.params,
      macs: whole.macs - dense.macs + planned.macs,
    },
  };
  const achievedLayers = metricOf(planned, metric) / metricOf(dense, metric);
  const achievedModel = metricOf(wholeModel.planned, metric) / metricOf(wholeModel.dense, metric);
  const report: SelectionReport = {
    method: options.method,
    budget,
    layers: rows,
    dense,
    planned,
    model: wholeModel,
    achieved: budget.scope === 'model' ? achievedModel : achievedLayers,
    achievedLayers,
    achievedModel,
    searchMs: options.searchMs ?? 0,
    ...(options.details === undefined ? {} : { details: options.details }),
  };
  return report;
}
