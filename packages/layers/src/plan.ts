/**
 * The plan of each factorized kind, by kind name: `LayerPlan` is the union of its members. A
 * third-party kind (see `FactorizedKind`) adds its plan by declaration merging:
 *
 * ```ts
 * declare module '@tnzip/layers' {
 *   interface LayerPlanTypes { 'low-rank': { readonly kind: 'low-rank'; readonly rank: number } }
 * }
 * ```
 *
 * Channel naming follows the papers: S = input channels (or input features), T = output
 * channels (or output features), k_h × k_w the spatial kernel. Ranks are always integers >= 1
 * and within the bounds of the layer's shape (the kind's validation checks them).
 */
export interface LayerPlanTypes {
  /** Keep the layer dense. */
  dense: { readonly kind: 'dense' };
  /**
   * Tucker-2 over the two channel modes: 1×1 (S→rankS) → k×k (rankS→rankT) → 1×1 (rankT→T).
   * Tucker-1 is the same layer with one of the two ranks set to `null` (that mode is not factorized).
   */
  tucker2: { readonly kind: 'tucker2'; readonly rankS: number | null; readonly rankT: number | null };
  /** Full Tucker over the modes of the weight tensor, in the layer's weight layout. */
  tucker: { readonly kind: 'tucker'; readonly ranks: readonly number[] };
  /** CP of rank `rank`: 1×1 → k×1 depthwise → 1×k depthwise → 1×1. */
  cp: { readonly kind: 'cp'; readonly rank: number };
  /**
   * Tensor-Train. For a linear layer `rowDims` factor T (outputs) and `colDims` factor S
   * (inputs), both of the same length d, with d−1 internal `ranks`. For a conv layer the same,
   * plus a spatial core (layout in papers.md §2.2).
   */
  tt: {
    readonly kind: 'tt';
    readonly rowDims: readonly number[];
    readonly colDims: readonly number[];
    readonly ranks: readonly number[];
  };
  /** ADA-Tucker: the weight reshaped to `dims` (product = weight size), core of `ranks`. */
  'ada-tucker': { readonly kind: 'ada-tucker'; readonly dims: readonly number[]; readonly ranks: readonly number[] };
  /** SCADA-Tucker: like ADA-Tucker, with the core shared by every layer naming the same `group`. */
  'scada-tucker': {
    readonly kind: 'scada-tucker';
    readonly dims: readonly number[];
    readonly ranks: readonly number[];
    readonly group: string;
  };
}

/** How one layer is to be factorized: a tagged union on `kind` (see {@link LayerPlanTypes}). */
export type LayerPlan = LayerPlanTypes[keyof LayerPlanTypes];

/** The kinds a {@link LayerPlan} can take. */
export type LayerPlanKind = LayerPlan['kind'];

/** A plan for a whole network: layer path (`'conv2'`, `'layer1.0.conv1'`) → how to factorize it. */
export type FactorizationPlan = Readonly<Record<string, LayerPlan>>;

/**
 * How a factorized layer runs its forward pass.
 * - `'factorized'`: a chain of small ops, so the MAC saving is real;
 * - `'reconstructed'`: rebuild the dense kernel from the factors, then one op;
 * - `'auto'`: whichever the cost model says needs fewer MACs for the input shape.
 */
export type ExecutionMode = 'factorized' | 'reconstructed' | 'auto';
