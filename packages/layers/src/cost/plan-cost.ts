import { TnzipError } from '@tnzip/tensor';
import type { PlanLike } from '../factorized/kind.js';
import { factorizedKindFor } from '../factorized/kind-registry.js';
import { builtinKindCount } from '../io/builtin-kinds.js';
import type { Conv2d } from '../layers/conv2d.js';
import type { Linear } from '../layers/linear.js';
import type { Cost, Module, Shape } from '../module.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';

/** Options of {@link planCost}. */
export interface PlanCostOptions {
  /**
   * Execution mode the factorized layer would run in (what `factorize` builds by default is
   * 'factorized'). 'reconstructed' counts the dense MACs; 'auto' the cheaper of the two.
   * ADA/SCADA layers always run the dense op. Default 'factorized'.
   */
  readonly mode?: ExecutionMode;
  /**
   * For a 'scada-tucker' plan: whether this layer owns (and so counts) the group's shared core,
   * as the first layer of a group does in `factorize`. Default true.
   */
  readonly ownsSharedCore?: boolean;
}

/**
 * Cost of a dense `layer` factorized by `plan`, for one example of `inputShape` (no batch axis),
 * computed from the plan alone — no weights are decomposed and no layer is built. The registered
 * `FactorizedKind` of `plan.kind` validates the plan and evaluates its cost formula, the same
 * function the layer `factorizeLayer` builds uses in its own `cost()`. Formulas (papers.md §5),
 * with H×W×S in, H'×W'×T out:
 *
 * - 'dense': `T·S·k_h·k_w (+T)` params, `H'W'·T·S·k_h·k_w` MACs;
 * - 'tucker2' (Conv2d): `S·R_S + R_S·R_T·k_h·k_w + R_T·T (+T)`,
 *   `H·W·S·R_S + H'W'·R_S·R_T·k_h·k_w + H'W'·R_T·T` (a null rank drops its 1×1: Tucker-1);
 * - 'tucker' (Conv2d): ranks `[k_h, k_w, R_S, R_T]`, the same as 'tucker2';
 * - 'cp' (Conv2d): `R·(S + k_h + k_w + T) (+T)`, `H·W·S·R + H'·W·R·k_h + H'W'·R·k_w + H'W'·R·T`;
 * - 'tt' (Linear): `Σ_k r_{k−1}·m_k·n_k·r_k (+T)`, MACs of the sequential contraction
 *   `Σ_k r_{k−1}·r_k·m_k·n_k·Π_{i<k} m_i·Π_{i>k} n_i`;
 * - 'tt' (Conv2d, chain `[s_1…s_n, k_h·k_w, t_1…t_m]`): input cores at H×W, the spatial core
 *   `k_h·k_w·r_n·r_{n+1}` at H'×W', output cores at H'×W';
 * - 'ada-tucker' / 'scada-tucker': `Π r_i + Σ m_i·r_i (+T)` (SCADA: `+1` scale, the core counted
 *   only by the layer that owns it), dense MACs;
 * - a registered third-party kind: its own formula.
 *
 * @param layer a dense Conv2d (weight `[k_h, k_w, S, T]`) or Linear (weight `[S, T]`), or any
 *   layer a registered kind applies to
 * @param inputShape `[H, W, S]` for a conv, `[S]` for a linear layer
 * @returns params, MACs per example and the output shape
 * @throws TnzipError INVALID_ARGUMENT (unknown kind, or a kind that does not apply to the layer),
 *   INVALID_RANK (a rank outside `[1, bound]`, a wrong number of ranks), SHAPE_MISMATCH (dims whose
 *   product does not fit the layer, a wrong input shape)
 */
export function planCost(
  layer: Conv2d | Linear | Module,
  plan: LayerPlan | PlanLike,
  inputShape: Shape,
  options: PlanCostOptions = {},
): Cost {
  builtinKindCount();
  const mode = options.mode ?? 'factorized';
  if (mode !== 'factorized' && mode !== 'reconstructed' && mode !== 'auto') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `planCost: options.mode must be 'factorized', 'reconstructed' or 'auto', got ${String(mode)}`,
    );
  }
  const kind = factorizedKindFor(layer, plan, `planCost: layer '${String(layer?.name)}' (${String(layer?.kind)})`);
  kind.validate(layer, plan);
  return kind.cost(layer, plan, inputShape, { mode, ownsSharedCore: options.ownsSharedCore ?? true });
}
