import { type Cost, type LayerPlan, planCost } from '@tnzip/layers';
import { checkOneOf, type Matrix64, TnzipError } from '@tnzip/tensor';
import type { CompressibleLayer } from './compressible.js';
import type { LayerSpace, LayerSpaceOptions } from './layer-space.js';

/**
 * Plans one factorized kind for the rank selectors: which layers it applies to in which
 * selector `format`, and the {@link LayerSpace} (rank structure, plan, cost, unfoldings) of such a
 * layer. Every selector of this package works on layer spaces, so a kind the selectors should plan
 * for registers one provider ({@link registerRankSpace}), in its own file.
 */
export interface RankSpaceProvider {
  /** The selectors' `options.format` this provider answers, e.g. `'tucker2'`, `'tt'`. */
  readonly format: string;
  /** Whether it plans for this layer (several providers may share a format: one per layer type). */
  appliesTo(c: CompressibleLayer): boolean;
  /** The layer's rank space (throws on options that do not fit the layer). */
  space(c: CompressibleLayer, options: LayerSpaceOptions): LayerSpace;
}

const providers: RankSpaceProvider[] = [];

/** Registers a rank-space provider (idempotent for the same object). */
export function registerRankSpace(provider: RankSpaceProvider): void {
  if (
    provider === null ||
    typeof provider !== 'object' ||
    typeof provider.format !== 'string' ||
    provider.format === ''
  ) {
    throw new TnzipError('INVALID_ARGUMENT', 'registerRankSpace: provider.format must be a non-empty string');
  }
  if (!providers.includes(provider)) providers.push(provider);
}

/** The formats with a registered provider, sorted. */
export function registeredRankFormats(): string[] {
  return [...new Set(providers.map((p) => p.format))].sort();
}

/**
 * The provider of `format` for layer `c`.
 *
 * @throws TnzipError INVALID_ARGUMENT: a format nobody registered, or none of its providers
 *   applies to this layer
 */
export function rankSpaceProvider(c: CompressibleLayer, format: unknown): RankSpaceProvider {
  checkOneOf(format, 'options.format', registeredRankFormats());
  const own = providers.filter((p) => p.format === format);
  const p = own.find((q) => q.appliesTo(c));
  if (p === undefined) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `format '${String(format)}' does not apply to layer '${c.path}' (${c.layer.kind})`,
    );
  }
  return p;
}

/** A row-major buffer viewed as a `rows × (length/rows)` matrix. */
export function view(data: Float64Array, rows: number): Matrix64 {
  return { rows, cols: data.length / rows, data };
}

/** `[d_0, d_0·d_1, …, d_0⋯d_{n−2}]`: the row counts of the sequential unfoldings of `dims`. */
export function prefixProducts(dims: readonly number[]): number[] {
  const out: number[] = [];
  let p = 1;
  for (let k = 0; k < dims.length - 1; k++) {
    p *= dims[k] as number;
    out.push(p);
  }
  return out;
}

/**
 * The `plan` / `cost` pair of a space with `n` ranks: both check the rank count (INVALID_RANK),
 * `cost` is `planCost` of the plan on the layer's input shape, factorized execution.
 */
export function planAndCost(
  c: CompressibleLayer,
  n: number,
  plan: (ranks: readonly number[]) => LayerPlan,
): Pick<LayerSpace, 'plan' | 'cost'> {
  const check = (r: readonly number[]): void => {
    if (!Array.isArray(r) || r.length !== n) {
      throw new TnzipError('INVALID_RANK', `layer '${c.path}': expected ${n} ranks, got ${JSON.stringify(r)}`);
    }
  };
  return {
    plan: (r) => {
      check(r);
      return plan(r);
    },
    cost: (r): Cost => {
      check(r);
      return planCost(c.layer, plan(r), c.inputShape);
    },
  };
}
