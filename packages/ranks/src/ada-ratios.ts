import { countParams, type FactorizationPlan, type Module } from '@tnzip/layers';
import { selectionReport } from './report.js';
import type { SelectionContext } from './selector.js';

/** Dense and planned parameter counts, and their ratio dense / planned ("N x fewer"). */
export interface ParamRatio {
  readonly dense: number;
  readonly planned: number;
  readonly ratio: number;
}

/**
 * Storage ratios of a plan, as parameter counts (no quantization, no index overhead), four ways:
 * - `compressible`: the compressible layers only (`context.layers`, default every Conv2d /
 *   Linear); `network`: every trainable parameter of the model (layers the plan leaves dense,
 *   BatchNorm, … count at their dense size on both sides);
 * - `withBiases`: biases counted (ADA keeps them dense); `weightsOnly`: the biases of the
 *   compressible layers left out on both sides.
 */
export interface StorageRatios {
  readonly compressible: { readonly withBiases: ParamRatio; readonly weightsOnly: ParamRatio };
  readonly network: { readonly withBiases: ParamRatio; readonly weightsOnly: ParamRatio };
}

function ratio(dense: number, planned: number): ParamRatio {
  return { dense, planned, ratio: dense / planned };
}

/**
 * {@link StorageRatios} of `plan` on the DENSE `model` (call before `factorize`). Planned costs
 * are `planCost`'s (for SCADA the shared core once, in the group's first layer).
 */
export function storageRatios(
  model: Module,
  plan: FactorizationPlan,
  context: Pick<SelectionContext, 'inputShape' | 'layers'>,
): StorageRatios {
  const report = selectionReport(model, plan, { method: 'ratios', budget: { metric: 'params', target: 1 }, context });
  const byPath = new Map(model.namedModules());
  let biases = 0;
  for (const row of report.layers) {
    const m = byPath.get(row.layer) as { bias?: { size: number } | null } | undefined;
    biases += m?.bias?.size ?? 0;
  }
  const net = countParams(model);
  const other = net - report.dense.params;
  return {
    compressible: {
      withBiases: ratio(report.dense.params, report.planned.params),
      weightsOnly: ratio(report.dense.params - biases, report.planned.params - biases),
    },
    network: {
      withBiases: ratio(net, other + report.planned.params),
      weightsOnly: ratio(net - biases, other + report.planned.params - biases),
    },
  };
}
