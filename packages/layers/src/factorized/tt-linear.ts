import * as tf from '@tensorflow/tfjs-core';
import {
  checkInt,
  fromTf,
  Rng,
  sizeOf,
  TnzipError,
  transpose64,
  ttContract,
  ttContractMacs,
  ttMatrix64,
  ttMatrixFull,
  ttMatrixRankBounds,
} from '@tnzip/tensor';
import { Linear } from '../layers/linear.js';
import type { ForwardContext, ModuleConfig, Shape } from '../module.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';
import { registerModule } from '../registry.js';
import { field, isBool, isInt, isIntList, isMode } from './config-fields.js';
import { costInMode } from './execution.js';
import { FactorizedModule } from './factorized-module.js';
import { checkFeatureShape } from './geometry.js';
import type { FactorizedKind, KindCost } from './kind.js';
import { registerFactorizedKind } from './kind-registry.js';
import { makeParam, optionalBias, seededNormal, tf64 } from './params.js';
import { checkDims, checkFromDense, checkMode, checkPlanRank } from './plan-checks.js';
import { addBias } from './pointwise.js';
import { type FusedActivation, reconstructedLinear } from './reconstructed-forward.js';

/** Constructor options of {@link TTLinear}. */
export interface TTLinearOptions {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Factorization of T (outputs), product = outFeatures. */
  readonly rowDims: readonly number[];
  /** Factorization of S (inputs), same length d, product = inFeatures. */
  readonly colDims: readonly number[];
  /** The d−1 internal TT ranks. */
  readonly ranks: readonly number[];
  readonly bias?: boolean;
  readonly mode?: ExecutionMode;
  readonly seed?: number;
}

/** Validates TT-matrix dims and ranks against S and T; returns the full rank list `[1, …, 1]`. */
export function checkTTMatrixPlan(s: number, t: number, rowDims: unknown, colDims: unknown, ranks: unknown): number[] {
  const rd = checkDims(rowDims, t, 'rowDims');
  const cd = checkDims(colDims, s, 'colDims');
  if (rd.length !== cd.length) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `plan.rowDims and plan.colDims must have the same length, got ${rd.length} and ${cd.length}`,
    );
  }
  const bounds = ttMatrixRankBounds(rd, cd);
  if (!Array.isArray(ranks) || ranks.length !== bounds.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `plan.ranks must list the ${bounds.length} internal TT ranks (d − 1), got ${JSON.stringify(ranks)}`,
    );
  }
  ranks.forEach((r, k) => {
    checkPlanRank(r, bounds[k] as number, `ranks[${k}]`);
  });
  return [1, ...(ranks as number[]), 1];
}

/** A linear layer as its kind's cost formula sees it. */
export interface LinearFacts {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
}

/**
 * Cost of a TT linear layer (papers.md §5, TT-FC; validated plan): params
 * `Σ_k r_{k-1}·m_k·n_k·r_k (+T)`; MACs (factorized) `Σ_k r_{k-1}·r_k·m_k·n_k·(Π_{i<k} m_i)·(Π_{i>k} n_i)`,
 * dense `S·T`.
 */
export function ttLinearCost(
  c: LinearFacts,
  rowDims: readonly number[],
  colDims: readonly number[],
  ranks: readonly number[],
  inputShape: Shape,
  who: string,
): KindCost {
  checkFeatureShape(inputShape, c.inFeatures, who);
  const full = [1, ...ranks, 1];
  const shapes = rowDims.map((m, k) => [full[k] as number, m, colDims[k] as number, full[k + 1] as number]);
  return {
    params: shapes.reduce((acc, sh) => acc + sizeOf(sh), 0) + (c.bias ? c.outFeatures : 0),
    factorizedMacs: ttContractMacs(shapes),
    denseMacs: c.inFeatures * c.outFeatures,
    outputShape: [c.outFeatures],
  };
}

/**
 * TT linear layer (Novikov et al., NeurIPS 2015). With `y = x·W + b`, `W` `[S, T]`, the matrix
 * `M = Wᵀ` (`[T, S]`) is a TT-matrix
 *
 * `M[(i_1…i_d), (j_1…j_d)] = G_1[:, i_1, j_1, :] ⋯ G_d[:, i_d, j_d, :]`,
 *
 * with `T = Π rowDims` (`i_k < m_k`), `S = Π colDims` (`j_k < n_k`), both multi-indices in C
 * order, and cores `core{k}` `[r_{k-1}, m_k, n_k, r_k]`. 'factorized' contracts the input with
 * one core at a time (d transpose + matMul steps) and never forms `M`; 'reconstructed' builds
 * `M` and runs one matMul.
 */
export class TTLinear extends FactorizedModule {
  readonly kind = 'tt-linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rowDims: readonly number[];
  readonly colDims: readonly number[];
  readonly ranks: readonly number[];
  readonly cores: readonly tf.Variable[];
  readonly bias: tf.Variable | null;
  mode: ExecutionMode;

  constructor(name: string, options: TTLinearOptions) {
    super(name);
    const s = options.inFeatures;
    const t = options.outFeatures;
    checkInt(s, 'inFeatures', 1);
    checkInt(t, 'outFeatures', 1);
    const full = checkTTMatrixPlan(s, t, options.rowDims, options.colDims, options.ranks);
    this.inFeatures = s;
    this.outFeatures = t;
    this.rowDims = [...options.rowDims];
    this.colDims = [...options.colDims];
    this.ranks = [...options.ranks];
    this.mode = checkMode(options.mode ?? 'factorized', 'options.mode');
    const rng = new Rng(options.seed ?? 0);
    // Each core scaled so that Var(W) ≈ 1/S (Glorot-like): Π_k r_k·n_k·σ_k² = 1/S.
    this.cores = this.rowDims.map((m, k) => {
      const r0 = full[k] as number;
      const r1 = full[k + 1] as number;
      const n = this.colDims[k] as number;
      const std = Math.sqrt(1 / (n * r0));
      return makeParam(
        (v) => this.addParam(`core${k}`, v),
        () => seededNormal([r0, m, n, r1], std, rng),
      );
    });
    this.bias = optionalBias(options.bias, t, (v) => this.addParam('bias', v));
  }

  /**
   * TT-matrix decomposition (float64 TT-SVD) of the pretrained `Wᵀ`; exact at full ranks.
   * Reads `layer.weight` synchronously: on webgpu, `await cacheOnCpu(layer)` first.
   */
  static fromDense(layer: Linear, plan: LayerPlan, options: { mode?: ExecutionMode } = {}): TTLinear {
    checkFromDense('TTLinear', layer, Linear, 'Linear', plan, 'tt');
    const out = new TTLinear(layer.name, {
      inFeatures: layer.inFeatures,
      outFeatures: layer.outFeatures,
      rowDims: plan.rowDims,
      colDims: plan.colDims,
      ranks: plan.ranks,
      bias: layer.bias !== null,
      mode: options.mode ?? 'factorized',
    });
    const w = fromTf(layer.weight, `${layer.name}.weight`);
    const m = transpose64({ rows: layer.inFeatures, cols: layer.outFeatures, data: w.data });
    const ttm = ttMatrix64(m, plan.rowDims, plan.colDims, plan.ranks);
    tf.tidy(() => {
      ttm.cores.forEach((c, k) => {
        (out.cores[k] as tf.Variable).assign(tf64(c));
      });
      if (out.bias !== null && layer.bias !== null) out.bias.assign(layer.bias);
    });
    return out;
  }

  /** `W` `[S, T]` rebuilt from the cores (differentiable). */
  weightMatrix(): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(ttMatrixFull(this.cores, fastMatMul)) as tf.Tensor2D);
  }

  /** The dense `Linear` with the reconstructed [S, T] weight (same name and bias). */
  toDense(): Linear {
    const lin = new Linear(this.name, {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
    });
    const w = this.weightMatrix();
    lin.weight.assign(w);
    w.dispose();
    if (this.bias !== null && lin.bias !== null) lin.bias.assign(this.bias);
    return lin;
  }

  protected kindCost(inputShape: Shape): KindCost {
    const facts = { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
    return ttLinearCost(facts, this.rowDims, this.colDims, this.ranks, inputShape, `${this.kind} '${this.name}'`);
  }

  private checkInput(x: tf.Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `tt-linear '${this.name}': input must be [N, ${this.inFeatures}], got [${x.shape.join(', ')}]`,
      );
    }
  }

  protected override reconstructedCall(x: tf.Tensor, activation: FusedActivation): tf.Tensor | null {
    this.checkInput(x);
    if (this.effectiveMode([this.inFeatures], x.shape[0]) !== 'reconstructed') return null;
    return reconstructedLinear(this, x as tf.Tensor2D, () => this.weightMatrix(), this.bias, activation);
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const rebuilt = this.reconstructedCall(x, 'linear');
    if (rebuilt !== null) return rebuilt;
    const y = ttContract(x, this.cores, fastMatMul);
    return addBias(y, this.bias);
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      rowDims: [...this.rowDims],
      colDims: [...this.colDims],
      ranks: [...this.ranks],
      bias: this.bias !== null,
      mode: this.mode,
    };
  }
}

registerModule('tt-linear', (c) => {
  const r = c as Record<string, unknown>;
  return new TTLinear(c.name, {
    inFeatures: field(r, 'inFeatures', isInt, 'an integer'),
    outFeatures: field(r, 'outFeatures', isInt, 'an integer'),
    rowDims: field(r, 'rowDims', isIntList, 'a list of positive integers'),
    colDims: field(r, 'colDims', isIntList, 'a list of positive integers'),
    ranks: field(r, 'ranks', isIntList, 'a list of positive integers'),
    bias: field(r, 'bias', isBool, 'a boolean'),
    mode: field(r, 'mode', isMode, "'factorized' | 'reconstructed' | 'auto'"),
  });
});

type TTPlan = Extract<LayerPlan, { kind: 'tt' }>;

/** TT-matrix of a Linear (plan `'tt'` on a linear layer; the conv case is `ttConvKind`). */
export const ttLinearKind: FactorizedKind<TTPlan> = {
  planKind: 'tt',
  moduleKinds: ['tt-linear'],
  appliesTo: (layer) => layer instanceof Linear,
  validate(layer, plan) {
    const l = layer as Linear;
    checkTTMatrixPlan(l.inFeatures, l.outFeatures, plan.rowDims, plan.colDims, plan.ranks);
  },
  cost(layer, plan, inputShape, { mode }) {
    const l = layer as Linear;
    const facts = { inFeatures: l.inFeatures, outFeatures: l.outFeatures, bias: l.bias !== null };
    const who = `layer '${layer.name}' (${layer.kind})`;
    return costInMode(mode, ttLinearCost(facts, plan.rowDims, plan.colDims, plan.ranks, inputShape, who));
  },
  fromDense: (layer, plan, { mode }) => TTLinear.fromDense(layer as Linear, plan, { mode }),
  candidateExecutions: () => ['factorized', 'reconstructed'],
};

registerFactorizedKind(ttLinearKind);
