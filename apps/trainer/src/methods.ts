import type { AdaInit, FactorizeOptions } from '@tnzip/layers';
import {
  adaSelector,
  batudeSelector,
  type DenseFallback,
  energySelector,
  greedySelector,
  type LwiqTemplate,
  lwiqSelector,
  PROXY_SEARCH_CANDIDATES,
  proxySearchSelector,
  type RankFormat,
  type RankSelector,
  scadaSelector,
  uniformSelector,
  vbmfSelector,
} from '@tnzip/ranks';

/** Method-specific settings (`tnzip compress` / `sweep` flags), all with defaults. */
export interface MethodKnobs {
  /** BATUDE phase-1 epochs (training with the ADMM hook that finds the ranks). */
  readonly batudeEpochs: number;
  /** BATUDE initial penalty ρ₀. */
  readonly batudeRho: number;
  /** BATUDE: also update Z/U every K steps (0: at epoch starts only). */
  readonly batudeUpdateEvery: number;
  /** BATUDE nuclear-norm weight λ (relative to each layer's σ_max; 0: the ablation), or 'auto' (chosen per run). */
  readonly batudeLambda: number | 'auto';
  /** LWIQ: s×s pooling of conv features (1: global average), or 'auto' (C·s² ≈ 100). */
  readonly lwiqPool: number | 'auto';
  /** LWIQ / proxy-search rank template (`LwiqTemplate` of @tnzip/ranks). */
  readonly lwiqTemplate: LwiqTemplate;
  /** proxy-search: candidate rank configurations evaluated per budget (K). */
  readonly proxyCandidates: number;
  /** LWIQ: calibration images for the imprinting proxy (the first N training images). */
  readonly calibrationSize: number;
  /** ADA/SCADA: factor initialization, from the pretrained weights or from scratch. */
  readonly adaInit: AdaInit;
  /** ADA/SCADA tensor order: a number, or the selector's rule ('auto'; SCADA: 'fill'). */
  readonly adaOrder: number | 'auto' | 'default';
}

/** Defaults of {@link MethodKnobs}. */
export const DEFAULT_KNOBS: MethodKnobs = {
  batudeEpochs: 3,
  batudeRho: 0.05,
  batudeUpdateEvery: 100,
  batudeLambda: 'auto',
  lwiqPool: 1,
  lwiqTemplate: 'bond',
  proxyCandidates: PROXY_SEARCH_CANDIDATES,
  calibrationSize: 256,
  adaInit: 'decompose',
  adaOrder: 'default',
};

/** What building a selector may be told by the CLI. */
export interface MethodOptions {
  readonly format: RankFormat;
  /** When a planned layer falls back to dense (`@tnzip/ranks` DenseFallback). */
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
}

/** One `--method` of `tnzip compress`. */
export interface MethodEntry {
  /** One line for `--help`. */
  readonly description: string;
  /** True for methods implemented from the reconstruction marked [P] in papers.md. */
  readonly reconstruction: boolean;
  /** `--format` values the method supports; null: the method has its own format (ADA-Tucker). */
  readonly formats: readonly RankFormat[] | null;
  /** Format used when `--format` is not given. */
  readonly defaultFormat: RankFormat;
  readonly create: (options: MethodOptions) => RankSelector;
  /** Extra options of `factorize` (ADA/SCADA: the init). */
  readonly factorize?: (knobs: MethodKnobs) => FactorizeOptions;
  /** The knobs `create` / `factorize` read (a results row names those off their defaults). */
  readonly knobs?: readonly (keyof MethodKnobs)[];
  /**
   * True when the method chooses its own hyperparameter with these knobs (BATUDE's λ auto): the
   * step holds out a validation split (`heldOutDataset`) as the selector's
   * `context.validation`, and its training phase trains on the rest.
   */
  readonly validation?: (knobs: MethodKnobs) => boolean;
  /**
   * True when the method selects by training the model (BATUDE's phase 1): a latency budget, which
   * selects once per bisection step, cannot wrap it.
   */
  readonly trainsWhileSelecting?: boolean;
}

const baseline = (f: (o: { format: RankFormat; denseFallback: DenseFallback }) => RankSelector) => ({
  reconstruction: false,
  formats: ['tucker2', 'tt'] as const,
  defaultFormat: 'tucker2' as const,
  create: ({ format, denseFallback }: MethodOptions) => f({ format, denseFallback }),
});

/**
 * The rank-selection methods `tnzip compress --method` and `tnzip sweep --methods` accept, by
 * name. Every method is used the same way — select ranks, `factorize` from the (possibly
 * phase-1-trained) dense weights, fine-tune with the CLI's protocol — so a sweep compares the
 * selections, not different training schedules. Data-driven methods get calibration data in the
 * selection context; BATUDE trains its phase 1 through the pipeline's training runner (the
 * fine-tuning schedule, `--batude-epochs` long).
 */
export const METHODS: Readonly<Record<string, MethodEntry>> = {
  uniform: {
    description: 'one rank ratio for every layer, bisected to the budget',
    ...baseline(uniformSelector),
  },
  energy: {
    description: 'one singular-value energy threshold for every unfolding, bisected to the budget',
    ...baseline(energySelector),
  },
  vbmf: {
    description: 'EVBMF ranks of every unfolding, scaled by one factor to the budget',
    ...baseline(vbmfSelector),
  },
  greedy: {
    description: 'greedy allocation of normalized singular values by marginal cost (data-free)',
    ...baseline(greedySelector),
  },
  batude: {
    description:
      '[P] BATUDE: ADMM training with a nuclear-norm soft threshold toward the budget (phase 1, --batude-epochs; λ per --batude-lambda), ranks read out, Tucker-2 / rank-R',
    reconstruction: true,
    formats: ['tucker2'],
    defaultFormat: 'tucker2',
    knobs: ['batudeLambda', 'batudeEpochs', 'batudeRho', 'batudeUpdateEvery'],
    validation: (knobs) => knobs.batudeLambda === 'auto',
    trainsWhileSelecting: true,
    create: ({ knobs, denseFallback }) =>
      batudeSelector({
        epochs: knobs.batudeEpochs,
        lambda: knobs.batudeLambda,
        hook: { rho: knobs.batudeRho, updateEvery: knobs.batudeUpdateEvery, denseFallback },
      }),
  },
  lwiq: {
    description: '[P] LWIQ: imprinting-proxy significance per layer, one β bisected to the budget (default TT)',
    reconstruction: true,
    formats: ['tt', 'tucker2'],
    defaultFormat: 'tt',
    knobs: ['lwiqTemplate', 'lwiqPool', 'calibrationSize'],
    create: ({ format, denseFallback, knobs }) =>
      lwiqSelector({ format, denseFallback, pool: knobs.lwiqPool, template: knobs.lwiqTemplate }),
  },
  'proxy-search': {
    description:
      "[P] proxy-search: LWIQ's rival, K (--proxy-candidates) seeded rank configurations per budget scored by truncated accuracy on the calibration data (default TT)",
    reconstruction: true,
    formats: ['tt', 'tucker2'],
    defaultFormat: 'tt',
    knobs: ['lwiqTemplate', 'proxyCandidates', 'calibrationSize'],
    create: ({ format, denseFallback, knobs }) =>
      proxySearchSelector({ format, denseFallback, candidates: knobs.proxyCandidates, template: knobs.lwiqTemplate }),
  },
  ada: {
    description: '[P] ADA-Tucker: dimension adjustment to a balanced order-d tensor, one core + factors per layer',
    reconstruction: true,
    formats: null,
    defaultFormat: 'tucker2',
    knobs: ['adaOrder', 'adaInit'],
    create: ({ knobs }) => adaSelector(knobs.adaOrder === 'default' ? {} : { order: knobs.adaOrder }),
    factorize: (knobs) => ({ adaInit: knobs.adaInit }),
  },
  scada: {
    description: '[P] SCADA-Tucker: ADA-Tucker with one core shared by all compressed layers',
    reconstruction: true,
    formats: null,
    defaultFormat: 'tucker2',
    knobs: ['adaOrder', 'adaInit'],
    create: ({ knobs }) => scadaSelector(knobs.adaOrder === 'default' ? {} : { order: knobs.adaOrder }),
    factorize: (knobs) => ({ adaInit: knobs.adaInit }),
  },
};

/** The names of {@link METHODS}, in table order. */
export function methodNames(): string[] {
  return Object.keys(METHODS);
}

/** `--help` lines: one per method, `[P]` marking reconstructions. */
export function methodHelp(): string {
  return Object.entries(METHODS)
    .map(([k, m]) => `  ${k.padEnd(12)} ${m.description}`)
    .join('\n');
}
