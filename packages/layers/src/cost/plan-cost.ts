import { sizeOf, TnzipError, ttContractMacs, ttRankBounds } from '@tnzip/tensor';
import { resolveMode } from '../factorized/execution.js';
import { checkFeatureShape, checkImageShape, convOutHW } from '../factorized/geometry.js';
import { checkDims, checkPlanRank } from '../factorized/plan-checks.js';
import { checkTTMatrixPlan } from '../factorized/tt-linear.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import type { Cost, Shape } from '../module.js';
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

type Geometry = Pick<Conv2d, 'kernelSize' | 'stride' | 'padding' | 'dilation'>;

function where(layer: Conv2d | Linear): string {
  return `planCost: layer '${layer.name}' (${layer.kind})`;
}

/** Tucker-2 / Tucker-1 of a conv (papers.md §5): the first 1×1 runs at input resolution. */
function tucker2Cost(
  layer: Conv2d,
  rankS: number | null,
  rankT: number | null,
  inputShape: Shape,
  mode: ExecutionMode,
): Cost {
  const s = layer.inChannels;
  const t = layer.outChannels;
  if (rankS === null && rankT === null) {
    throw new TnzipError(
      'INVALID_RANK',
      `${where(layer)}: plan.rankS and plan.rankT cannot both be null (nothing would be factorized)`,
    );
  }
  const rs = rankS === null ? null : checkPlanRank(rankS, s, 'rankS');
  const rt = rankT === null ? null : checkPlanRank(rankT, t, 'rankT');
  const [h, w] = checkImageShape(inputShape, s, where(layer));
  const [ho, wo] = convOutHW(h, w, layer as Geometry);
  const [kh, kw] = layer.kernelSize;
  const a = rs ?? s;
  const b = rt ?? t;
  const factorized =
    (rs === null ? 0 : h * w * s * a) + ho * wo * kh * kw * a * b + (rt === null ? 0 : ho * wo * b * t);
  const dense = ho * wo * kh * kw * s * t;
  const params =
    (rs === null ? 0 : s * a) + kh * kw * a * b + (rt === null ? 0 : b * t) + (layer.bias === null ? 0 : t);
  return {
    params,
    macs: resolveMode(mode, factorized, dense) === 'factorized' ? factorized : dense,
    outputShape: [ho, wo, t],
  };
}

/** CP conv: 1×1 (S→R), k_h×1 and 1×k_w depthwise, 1×1 (R→T). */
function cpCost(layer: Conv2d, rank: number, inputShape: Shape, mode: ExecutionMode): Cost {
  const s = layer.inChannels;
  const t = layer.outChannels;
  const [kh, kw] = layer.kernelSize;
  const sorted = [kh, kw, s, t].sort((x, y) => x - y);
  const r = checkPlanRank(rank, (sorted[0] as number) * (sorted[1] as number) * (sorted[2] as number), 'rank');
  const [h, w] = checkImageShape(inputShape, s, where(layer));
  const [ho, wo] = convOutHW(h, w, layer as Geometry);
  const factorized = h * w * s * r + ho * w * r * kh + ho * wo * r * kw + ho * wo * r * t;
  const dense = ho * wo * kh * kw * s * t;
  const params = r * (s + kh + kw + t) + (layer.bias === null ? 0 : t);
  return {
    params,
    macs: resolveMode(mode, factorized, dense) === 'factorized' ? factorized : dense,
    outputShape: [ho, wo, t],
  };
}

/** TT conv, "M" layout: chain `[s_1…s_n, k_h·k_w, t_1…t_m]` (see TTConv2d). */
function ttConvCost(
  layer: Conv2d,
  plan: Extract<LayerPlan, { kind: 'tt' }>,
  inputShape: Shape,
  mode: ExecutionMode,
): Cost {
  const s = layer.inChannels;
  const t = layer.outChannels;
  const [kh, kw] = layer.kernelSize;
  const cd = checkDims(plan.colDims, s, 'colDims');
  const rd = checkDims(plan.rowDims, t, 'rowDims');
  const bounds = ttRankBounds([...cd, kh * kw, ...rd]);
  const ranks = plan.ranks;
  if (!Array.isArray(ranks) || ranks.length !== bounds.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `${where(layer)}: plan.ranks must list ${bounds.length} internal ranks (colDims.length + rowDims.length) for the chain [s…, k_h·k_w, t…], got ${JSON.stringify(ranks)}`,
    );
  }
  ranks.forEach((r, k) => {
    checkPlanRank(r, bounds[k] as number, `ranks[${k}]`);
  });
  const full = [1, ...ranks, 1];
  const n = cd.length;
  const inShapes = cd.map((sa, a) => [full[a] as number, 1, sa, full[a + 1] as number]);
  const outShapes = rd.map((tb, b) => [full[n + 1 + b] as number, tb, 1, full[n + 2 + b] as number]);
  const rn = full[n] as number;
  const rn1 = full[n + 1] as number;
  const [h, w] = checkImageShape(inputShape, s, where(layer));
  const [ho, wo] = convOutHW(h, w, layer as Geometry);
  const factorized =
    h * w * ttContractMacs(inShapes) + ho * wo * kh * kw * rn * rn1 + ho * wo * ttContractMacs(outShapes);
  const dense = ho * wo * kh * kw * s * t;
  const params =
    inShapes.reduce((acc, sh) => acc + sizeOf(sh), 0) +
    kh * kw * rn * rn1 +
    outShapes.reduce((acc, sh) => acc + sizeOf(sh), 0) +
    (layer.bias === null ? 0 : t);
  return {
    params,
    macs: resolveMode(mode, factorized, dense) === 'factorized' ? factorized : dense,
    outputShape: [ho, wo, t],
  };
}

/** TT linear (TT-matrix of Wᵀ, `rowDims` factor T, `colDims` factor S). */
function ttLinearCost(
  layer: Linear,
  plan: Extract<LayerPlan, { kind: 'tt' }>,
  inputShape: Shape,
  mode: ExecutionMode,
): Cost {
  const s = layer.inFeatures;
  const t = layer.outFeatures;
  const full = checkTTMatrixPlan(s, t, plan.rowDims, plan.colDims, plan.ranks);
  checkFeatureShape(inputShape, s, where(layer));
  const shapes = plan.rowDims.map((m, k) => [full[k] as number, m, plan.colDims[k] as number, full[k + 1] as number]);
  const factorized = ttContractMacs(shapes);
  const params = shapes.reduce((acc, sh) => acc + sizeOf(sh), 0) + (layer.bias === null ? 0 : t);
  return { params, macs: resolveMode(mode, factorized, s * t) === 'factorized' ? factorized : s * t, outputShape: [t] };
}

/** ADA / SCADA-Tucker: storage compression only, the dense op runs on the rebuilt weight. */
function adaCost(
  layer: Conv2d | Linear,
  plan: Extract<LayerPlan, { kind: 'ada-tucker' | 'scada-tucker' }>,
  inputShape: Shape,
  ownsSharedCore: boolean,
): Cost {
  const dense = layer.cost(inputShape);
  const wSize =
    layer instanceof Conv2d
      ? layer.kernelSize[0] * layer.kernelSize[1] * layer.inChannels * layer.outChannels
      : layer.inFeatures * layer.outFeatures;
  const dims = checkDims(plan.dims, wSize, 'dims', true);
  const ranks = plan.ranks;
  if (!Array.isArray(ranks) || ranks.length !== dims.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `${where(layer)}: plan.ranks must have one rank per entry of plan.dims (${dims.length}), got ${JSON.stringify(ranks)}`,
    );
  }
  ranks.forEach((r, i) => {
    checkPlanRank(r, dims[i] as number, `ranks[${i}]`);
  });
  const scada = plan.kind === 'scada-tucker';
  if (scada && (typeof plan.group !== 'string' || plan.group === '')) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${where(layer)}: plan.group must be a non-empty string, got ${JSON.stringify(plan.group)}`,
    );
  }
  const out = layer instanceof Conv2d ? layer.outChannels : layer.outFeatures;
  const factorParams = dims.reduce((acc, m, i) => acc + m * (ranks[i] as number), 0);
  const coreParams = !scada || ownsSharedCore ? sizeOf(ranks) : 0;
  const params = factorParams + coreParams + (scada ? 1 : 0) + (layer.bias === null ? 0 : out);
  return { params, macs: dense.macs, outputShape: dense.outputShape };
}

/**
 * Cost of a dense `layer` factorized by `plan`, for one example of `inputShape` (no batch axis),
 * computed from the plan alone — no weights are decomposed and no layer is built. It equals
 * `factorizeLayer(layer, plan, { mode }).cost(inputShape)` for every plan kind (the test builds
 * each layer to keep the two in step). Formulas (papers.md §5), with H×W×S in, H'×W'×T out:
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
 *   only by the layer that owns it), dense MACs.
 *
 * @param layer a dense Conv2d (weight `[k_h, k_w, S, T]`) or Linear (weight `[S, T]`)
 * @param inputShape `[H, W, S]` for a conv, `[S]` for a linear layer
 * @returns params, MACs per example and the output shape
 * @throws TnzipError INVALID_ARGUMENT (unknown kind, or a kind that does not apply to the layer),
 *   INVALID_RANK (a rank outside `[1, bound]`, a wrong number of ranks), SHAPE_MISMATCH (dims whose
 *   product does not fit the layer, a wrong input shape)
 */
export function planCost(
  layer: Conv2d | Linear,
  plan: LayerPlan,
  inputShape: Shape,
  options: PlanCostOptions = {},
): Cost {
  if (!(layer instanceof Conv2d) && !(layer instanceof Linear)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `planCost: layer must be a Conv2d or a Linear, got ${String((layer as { kind?: unknown } | null)?.kind)}`,
    );
  }
  if (plan === null || typeof plan !== 'object') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${where(layer)}: plan must be an object with a 'kind', got ${JSON.stringify(plan)}`,
    );
  }
  const mode = options.mode ?? 'factorized';
  if (mode !== 'factorized' && mode !== 'reconstructed' && mode !== 'auto') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `planCost: options.mode must be 'factorized', 'reconstructed' or 'auto', got ${String(mode)}`,
    );
  }
  switch (plan.kind) {
    case 'dense':
      return layer.cost(inputShape);
    case 'tucker2':
      if (layer instanceof Conv2d) return tucker2Cost(layer, plan.rankS, plan.rankT, inputShape, mode);
      break;
    case 'tucker':
      if (layer instanceof Conv2d) {
        const [kh, kw] = layer.kernelSize;
        const r = plan.ranks;
        if (!Array.isArray(r) || r.length !== 4)
          throw new TnzipError(
            'INVALID_RANK',
            `${where(layer)}: plan.ranks must have 4 entries [k_h, k_w, R_S, R_T], got ${JSON.stringify(r)}`,
          );
        if (r[0] !== kh || r[1] !== kw) {
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `${where(layer)}: plan.ranks[0..1] must equal the kernel size ${kh}, ${kw} (spatial modes are not factorized), got ${r[0]}, ${r[1]}`,
          );
        }
        return tucker2Cost(layer, r[2] as number, r[3] as number, inputShape, mode);
      }
      break;
    case 'cp':
      if (layer instanceof Conv2d) return cpCost(layer, plan.rank, inputShape, mode);
      break;
    case 'tt':
      return layer instanceof Conv2d
        ? ttConvCost(layer, plan, inputShape, mode)
        : ttLinearCost(layer, plan, inputShape, mode);
    case 'ada-tucker':
    case 'scada-tucker':
      return adaCost(layer, plan, inputShape, options.ownsSharedCore ?? true);
    default:
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${where(layer)}: unknown plan kind '${String((plan as { kind: unknown }).kind)}'`,
      );
  }
  throw new TnzipError(
    'INVALID_ARGUMENT',
    `${where(layer)}: plan kind '${plan.kind}' does not apply to a ${layer.kind} layer`,
  );
}
