import {
  energySelector,
  greedySelector,
  type RankFormat,
  type RankSelector,
  uniformSelector,
  vbmfSelector,
} from '@tnzip/ranks';

/** What building a selector may be told by the CLI. */
export interface MethodOptions {
  readonly format: RankFormat;
}

/** One `--method` of `tnzip compress`. */
export interface MethodEntry {
  /** One line for `--help`. */
  readonly description: string;
  /** `--format` values the method supports. */
  readonly formats: readonly RankFormat[];
  readonly create: (options: MethodOptions) => RankSelector;
}

/**
 * The rank-selection methods `tnzip compress --method` accepts, by name. A new selector of
 * @tnzip/ranks (BATUDE, LWIQ, ADA, SCADA, …) joins the CLI by adding one entry here; every selector
 * receives calibration data (a batch of normalized training images) in its context, so data-driven
 * ones need nothing more.
 */
export const METHODS: Readonly<Record<string, MethodEntry>> = {
  uniform: {
    description: 'one rank ratio for every layer, bisected to the budget',
    formats: ['tucker2', 'tt'],
    create: ({ format }) => uniformSelector({ format }),
  },
  energy: {
    description: 'one singular-value energy threshold for every unfolding, bisected to the budget',
    formats: ['tucker2', 'tt'],
    create: ({ format }) => energySelector({ format }),
  },
  vbmf: {
    description: 'EVBMF ranks of every unfolding, scaled by one factor to the budget',
    formats: ['tucker2', 'tt'],
    create: ({ format }) => vbmfSelector({ format }),
  },
  greedy: {
    description: 'greedy allocation of normalized singular values by marginal cost (data-free)',
    formats: ['tucker2', 'tt'],
    create: ({ format }) => greedySelector({ format }),
  },
};

/** The names of {@link METHODS}, in table order. */
export function methodNames(): string[] {
  return Object.keys(METHODS);
}
