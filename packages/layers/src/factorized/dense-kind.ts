import type { LayerPlan } from '../plan.js';
import type { FactorizedKind } from './kind.js';
import { registerFactorizedKind } from './kind-registry.js';

/** Plan `'dense'`: the layer stays as it is (`factorize` keeps it, `planCost` is its own cost). */
export const denseKind: FactorizedKind<Extract<LayerPlan, { kind: 'dense' }>> = {
  planKind: 'dense',
  moduleKinds: [],
  appliesTo: () => true,
  validate: () => undefined,
  cost: (layer, _plan, inputShape) => layer.cost(inputShape),
  fromDense: (layer) => layer,
};

registerFactorizedKind(denseKind);
