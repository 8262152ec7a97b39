import { ADA_INITS } from '@tnzip/layers';
import { type DenseFallback, LWIQ_TEMPLATES } from '@tnzip/ranks';
import { choice, type FlagSpec, type FlagValues, int, num, str } from './args.js';
import { UsageError } from './exit-codes.js';
import { DEFAULT_KNOBS, type MethodKnobs } from './methods.js';

/** Flags of the methods' knobs and of the dense fallback, shared by `compress` and `sweep`. */
export const METHOD_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'dense-fallback': {
    type: 'string',
    value: 'both|metric|none',
    help: "keep a layer dense when its planned factorization is not cheaper than dense by both metrics / the budget's metric (default: every method spends the same budget) / never",
  },
  'batude-epochs': {
    type: 'string',
    value: 'N',
    help: `BATUDE phase-1 epochs (ADMM training toward the budget; default ${DEFAULT_KNOBS.batudeEpochs})`,
  },
  'batude-rho': { type: 'string', value: 'R', help: `BATUDE initial penalty ρ (default ${DEFAULT_KNOBS.batudeRho})` },
  'batude-update-every': {
    type: 'string',
    value: 'K',
    help: `BATUDE: also update Z/U every K steps (0: epoch starts only; default ${DEFAULT_KNOBS.batudeUpdateEvery})`,
  },
  'batude-lambda': {
    type: 'string',
    value: 'auto|L',
    help: "BATUDE nuclear-norm weight λ in [0, 1], relative to each layer's largest singular value (0: no soft threshold, the ablation; default auto: the candidate among 1e-3, 1e-2, 1e-1 whose truncated model is most accurate on a held-out validation split — a twelfth of the training images, at most 5,000 — that phase 1 does not train on)",
  },
  'lwiq-pool': {
    type: 'string',
    value: 'S|auto',
    help: 'LWIQ: average-pool conv features to S×S cells before imprinting (default 1: global average; auto: C·S² ≈ 100)',
  },
  'lwiq-template': {
    type: 'string',
    value: 'bond|spectrum|layer',
    help: "LWIQ / proxy-search rank template: each TT bond its share of its own bound (default 'bond'), each bond the energy share of its own spectrum that the layer's score sets ('spectrum'), or one rank per layer ('layer')",
  },
  'proxy-candidates': {
    type: 'string',
    value: 'K',
    help: `proxy-search: candidate rank configurations evaluated per budget (default ${DEFAULT_KNOBS.proxyCandidates})`,
  },
  'calibration-size': {
    type: 'string',
    value: 'N',
    help: `calibration images given to data-driven selectors (LWIQ, proxy-search; default ${DEFAULT_KNOBS.calibrationSize})`,
  },
  'ada-init': {
    type: 'string',
    value: 'decompose|decompose-norm|random',
    help: "ADA/SCADA: init from the decomposed pretrained weights (default decompose: least squares; decompose-norm: each rebuilt weight at its dense weight's norm), or from scratch",
  },
  'ada-order': {
    type: 'string',
    value: 'N|auto',
    help: "ADA/SCADA tensor order (default: the selector's rule, ADA 'auto', SCADA 'fill')",
  },
};

/**
 * The dense fallback of `--dense-fallback`, default 'metric' for `compress` and `sweep` alike (with
 * 'both', a TT layer dearer than dense in MACs stays dense and a params budget goes unspent:
 * LWIQ at 4x landed at 12.3x).
 */
export function resolveDenseFallback(v: FlagValues): DenseFallback {
  return choice(v, 'dense-fallback', ['both', 'metric', 'none'] as const, 'dense fallback') ?? 'metric';
}

/**
 * The knobs of {@link METHOD_FLAGS}, defaults where absent.
 * @throws UsageError naming the flag and the range.
 */
export function resolveKnobs(v: FlagValues): MethodKnobs {
  const orderText = str(v, 'ada-order');
  let adaOrder: MethodKnobs['adaOrder'] = 'default';
  if (orderText === 'auto') adaOrder = 'auto';
  else if (orderText !== undefined) {
    const n = int(v, 'ada-order', 1, 16);
    if (n === undefined)
      throw new UsageError(`--ada-order must be an integer in [1, 16] or 'auto', got '${orderText}'`);
    adaOrder = n;
  }
  const autoOr = (name: string, lo: number, hi: number, isInt: boolean): number | 'auto' | undefined => {
    const text = str(v, name);
    if (text === undefined || text === 'auto') return text;
    const n = isInt ? int(v, name, lo, hi) : num(v, name, lo, hi);
    if (n === undefined) throw new UsageError(`--${name} must be 'auto' or a number in [${lo}, ${hi}], got '${text}'`);
    return n;
  };
  return {
    batudeLambda: autoOr('batude-lambda', 0, 1, false) ?? DEFAULT_KNOBS.batudeLambda,
    lwiqPool: autoOr('lwiq-pool', 1, 64, true) ?? DEFAULT_KNOBS.lwiqPool,
    lwiqTemplate: choice(v, 'lwiq-template', LWIQ_TEMPLATES, 'LWIQ template') ?? DEFAULT_KNOBS.lwiqTemplate,
    proxyCandidates: int(v, 'proxy-candidates', 1, 10_000) ?? DEFAULT_KNOBS.proxyCandidates,
    batudeEpochs: int(v, 'batude-epochs', 1, 1000) ?? DEFAULT_KNOBS.batudeEpochs,
    batudeRho: num(v, 'batude-rho', 0, 1e6, true) ?? DEFAULT_KNOBS.batudeRho,
    batudeUpdateEvery: int(v, 'batude-update-every', 0) ?? DEFAULT_KNOBS.batudeUpdateEvery,
    calibrationSize: int(v, 'calibration-size', 10, 60_000) ?? DEFAULT_KNOBS.calibrationSize,
    adaInit: choice(v, 'ada-init', ADA_INITS, 'ADA init') ?? DEFAULT_KNOBS.adaInit,
    adaOrder,
  };
}
