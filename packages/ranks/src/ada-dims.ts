import { balancedDims, checkInt, TnzipError } from '@tnzip/tensor';

/** Highest tensor order the dimension adjustment tries (`balancedDims` accepts up to 16). */
export const ADA_MAX_ORDER = 16;

/**
 * Default highest order the selectors search: 10 (SCADA's 'fill' tries every order up to it).
 * Not a backend limit any more: the ADA/SCADA layers never create a tensor of rank above 6
 * (tfjs-backend-wasm's element-wise kernels return garbage on 7-D tensors), so any order up to
 * {@link ADA_MAX_ORDER} runs on every backend; pass `maxOrder` to search further.
 */
export const ADA_DEFAULT_MAX_ORDER = 10;

/** Default largest mode size of the 'auto' order rule (papers.md §3.2 suggests 8–16). [P] */
export const ADA_DEFAULT_MAX_DIM = 8;

/** Options of {@link adjustDims}. */
export interface AdjustDimsOptions {
  /**
   * Order d of the reshaped weight: an integer in [1, 16], or `'auto'` (default): the smallest d
   * whose balanced dims all stay at or below `maxDim` (papers.md §3.2 [P]).
   */
  readonly order?: number | 'auto';
  /** Highest order any rule may pick, an integer in [1, 16]. Default {@link ADA_DEFAULT_MAX_ORDER}. */
  readonly maxOrder?: number;
  /** Largest mode size the 'auto' rule accepts, an integer >= 2. Default {@link ADA_DEFAULT_MAX_DIM}. */
  readonly maxDim?: number;
  /**
   * Allow zero-padding (default true): the dims may multiply to `n' ≥ n`, the smallest size
   * with a factorization whose largest/smallest mode ratio is at most 2 (`balancedDims` with
   * `pad`). The padded entries of the reshaped weight are cropped when the layer rebuilds its
   * weight, so they cost factor rows but never change the layer's function. Without padding a
   * weight size with a large prime factor gets unbalanced dims.
   */
  readonly pad?: boolean;
}

/** Validates {@link AdjustDimsOptions}, filling in the defaults. */
export function checkAdjustDims(options: AdjustDimsOptions = {}, name = 'options'): Required<AdjustDimsOptions> {
  const order = options.order ?? 'auto';
  if (order !== 'auto') checkInt(order, `${name}.order`, 1, ADA_MAX_ORDER);
  const maxOrder = options.maxOrder ?? Math.max(ADA_DEFAULT_MAX_ORDER, order === 'auto' ? 1 : order);
  checkInt(maxOrder, `${name}.maxOrder`, 1, ADA_MAX_ORDER);
  const maxDim = options.maxDim ?? ADA_DEFAULT_MAX_DIM;
  checkInt(maxDim, `${name}.maxDim`, 2);
  const pad = options.pad ?? true;
  if (typeof pad !== 'boolean')
    throw new TnzipError('INVALID_ARGUMENT', `${name}.pad must be a boolean, got ${String(pad)}`);
  return { order, maxOrder, maxDim, pad };
}

/**
 * The order the 'auto' rule picks for a weight of `n` entries: the smallest d in [1, maxOrder]
 * with `max(balancedDims(n, d, { pad })) ≤ maxDim`, or `maxOrder` when no order qualifies.
 */
export function autoOrder(n: number, maxDim: number, pad: boolean, maxOrder: number = ADA_DEFAULT_MAX_ORDER): number {
  checkInt(n, 'n', 1);
  checkInt(maxOrder, 'maxOrder', 1, ADA_MAX_ORDER);
  for (let d = 1; d <= maxOrder; d++) {
    if ((balancedDims(n, d, { pad })[0] as number) <= maxDim) return d;
  }
  return maxOrder;
}

/**
 * Dimension adjustment of ADA-Tucker (Zhong et al. 2019, "proper order and balanced dimension";
 * the rule is our reconstruction, papers.md §3.2 [P]): reshape a weight of `n` entries to an
 * order-d tensor whose modes are as equal as possible.
 *
 * @returns d mode sizes, descending, with product `n` (or the padded `n' ≥ n` when `pad`)
 * @example adjustDims(235200) → [8, 7, 7, 6, 5, 5, 4] (d = 7, the smallest order with every mode ≤ 8)
 * @throws TnzipError INVALID_ARGUMENT for a bad `n`, order or maxDim
 */
export function adjustDims(n: number, options: AdjustDimsOptions = {}): number[] {
  checkInt(n, 'n', 1);
  const o = checkAdjustDims(options);
  const d = o.order === 'auto' ? autoOrder(n, o.maxDim, o.pad, o.maxOrder) : o.order;
  return balancedDims(n, d, { pad: o.pad });
}

/**
 * How a layer's weight is reshaped: `'mixed'` — the whole weight of n entries to balanced dims
 * ({@link adjustDims}; the modes mix inputs and outputs, e.g. LeNet-300-100's fc1 784×300 →
 * `[8, 7, 7, 6, 5, 5, 4]`); `'separate'` — {@link separateDims}: the inputs and the
 * outputs factored apart and concatenated, so the [inputs × outputs] matrix splits between two
 * modes; `'auto'` — per layer, the one the cheap criterion of the selector prefers.
 */
export type AdaDimsRule = 'mixed' | 'separate' | 'auto';

/** The largest number of modes `cols` splits into with every mode ≤ maxDim (no modes of size 1). */
function outputOrder(cols: number, maxDim: number, maxOrder: number): number {
  let d = 1;
  while (d < maxOrder && (balancedDims(cols, d)[0] as number) > maxDim) {
    if (balancedDims(cols, d + 1).includes(1)) break;
    d++;
  }
  return d;
}

/**
 * Input/output-separated dimension adjustment (our reconstruction, not the paper's rule [P]):
 * the `rows` inputs (`k_h·k_w·S` of a conv, `S` of a linear) and the `cols` outputs `T` are each
 * factored into balanced modes and concatenated, inputs first (the weight's row-major layout
 * puts the outputs last): `[...balancedDims(rows, d_in, { pad }), ...balancedDims(cols, d_out)]`.
 * With `order: 'auto'`, d_out is the smallest order with every output mode ≤ `maxDim` (fewer when
 * more would need a mode of size 1) and d_in the 'auto' order of `rows`; a fixed order d is split
 * in proportion to the logarithms, `d_in = round(d·ln rows / ln(rows·cols))` in [1, d − 1].
 * Only the input modes are padded (extra rows, cropped), so the split stays on a mode boundary
 * and the matrix rank is bounded by `min(Π r_in, Π r_out)` (see `adaMatrixRankCap`).
 *
 * @returns the dims and the number of input modes; null for a fixed order below 2
 * @example separateDims(784, 300) → { dims: [7, 7, 4, 4, 5, 5, 4, 3], inputModes: 4 }
 */
export function separateDims(
  rows: number,
  cols: number,
  options: AdjustDimsOptions = {},
): { dims: number[]; inputModes: number } | null {
  checkInt(rows, 'rows', 1);
  checkInt(cols, 'cols', 1);
  const o = checkAdjustDims(options);
  if (o.order !== 'auto' && o.order < 2) return null;
  let dOut = outputOrder(cols, o.maxDim, Math.max(1, o.maxOrder - 1));
  let dIn: number;
  if (o.order === 'auto') dIn = autoOrder(rows, o.maxDim, o.pad, Math.max(1, o.maxOrder - dOut));
  else {
    // A fixed order is shared in proportion to the sizes' logarithms (balanced modes across the split).
    const share = Math.round((o.order * Math.log(rows)) / Math.log(rows * cols));
    dIn = Math.min(o.order - 1, Math.max(1, share));
    dOut = o.order - dIn;
  }
  return { dims: [...balancedDims(rows, dIn, { pad: o.pad }), ...balancedDims(cols, dOut)], inputModes: dIn };
}
