import { balancedDims, checkInt, TnzipError } from '@tnzip/tensor';

/** Highest tensor order the dimension adjustment tries (`balancedDims` accepts up to 16). */
export const ADA_MAX_ORDER = 16;

/**
 * Default highest order of the selectors: 6. tfjs-backend-wasm's XNNPACK element-wise kernels
 * take at most 6 dimensions and, on a 7-D tensor, log "XNN status … 4" and return garbage
 * (measured: `tf.mul(ones([2,2,2,2,2,2,2]), 3)` sums to 3.6e-41), which corrupts the core's
 * init, its gradients and the optimizer's updates. Orders above 6 are safe on the cpu backend.
 */
export const ADA_DEFAULT_MAX_ORDER = 6;

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
 * @example adjustDims(235200) → [10, 10, 8, 7, 7, 6] (d = 6, the cap; d = 7 would give every mode ≤ 8)
 * @throws TnzipError INVALID_ARGUMENT for a bad `n`, order or maxDim
 */
export function adjustDims(n: number, options: AdjustDimsOptions = {}): number[] {
  checkInt(n, 'n', 1);
  const o = checkAdjustDims(options);
  const d = o.order === 'auto' ? autoOrder(n, o.maxDim, o.pad, o.maxOrder) : o.order;
  return balancedDims(n, d, { pad: o.pad });
}
