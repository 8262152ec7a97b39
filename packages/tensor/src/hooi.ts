import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { fromTf, type Matrix64, type Tensor64 } from './float64.js';
import { checkTuckerInput64, hosvd64, leadingLeft64, tuckerToTf } from './hosvd.js';
import { modeProduct64, multiModeProduct64 } from './mode-product.js';
import { frobeniusNorm64 } from './norms.js';
import { resolveTuckerRanks, type Tucker64, type TuckerTensor } from './tucker-tensor.js';
import { unfold64 } from './unfold.js';
import { checkInt, checkMinOrder, checkNumber, checkTensor } from './validate.js';

/** Options of {@link hooi} / {@link hooi64}. */
export interface HooiOptions {
  /** Axes to factorize (distinct), one per entry of `ranks`. Default: every axis. */
  modes?: readonly number[];
  /** Maximum number of sweeps, an integer >= 0 (0 returns the HOSVD). Default 25. */
  maxIter?: number;
  /** Stop when the relative error changes by less than `tol` in a sweep; 0 runs every sweep. Default 1e-4. */
  tol?: number;
  /** Initialization; only `'hosvd'` (the truncated HOSVD) is available. */
  init?: 'hosvd';
}

/** Convergence record of an iterative decomposition. */
export interface IterationInfo {
  /** Sweeps performed (0 when none was needed). */
  iterations: number;
  /** Relative error `‖x − x̂‖ / ‖x‖` of the returned decomposition (0 for x = 0). */
  relError: number;
}

/**
 * Higher-order orthogonal iteration (De Lathauwer, De Moor, Vandewalle 2000; TensorLy's
 * `partial_tucker`): starting from the truncated HOSVD, each sweep replaces factor n by the
 * leading left singular vectors of `(x ×_{m≠n} U_mᵀ)_(n)`, which maximizes `‖core‖` for the
 * other factors fixed, so the error never increases. Modes with full rank keep the identity.
 *
 * The error is computed cheaply from orthonormality, `‖x − x̂‖² = ‖x‖² − ‖core‖²`; the
 * subtraction limits its accuracy to about 1e-8 relative (√ of float64 epsilon).
 *
 * Validation as {@link hosvd64}, plus INVALID_ARGUMENT for `maxIter`, `tol` or `init`.
 */
export function hooi64(x: Tensor64, ranks: readonly number[], options: HooiOptions = {}): Tucker64 & IterationInfo {
  const { maxIter, tol } = checkHooiOptions(options);
  const modes = checkTuckerInput64(x, ranks, options.modes);
  const init = hosvd64(x, ranks, { modes });
  const factors: Matrix64[] = [...init.factors];
  let core = init.core;
  const normX = frobeniusNorm64(x);
  const relErr = (c: Tensor64): number => {
    if (normX === 0) return 0;
    const nc = frobeniusNorm64(c);
    return Math.sqrt(Math.max(0, (normX - nc) * (normX + nc))) / normX;
  };
  let err = relErr(core);
  const active = modes.map((_, i) => i).filter((i) => (ranks[i] as number) < (x.shape[modes[i] as number] as number));
  let iterations = 0;
  if (active.length === 0 || normX === 0) return { core, factors, modes, iterations, relError: err };
  for (let it = 1; it <= maxIter; it++) {
    let y: Tensor64 = x;
    let last = -1;
    for (const i of active) {
      const others = active.filter((j) => j !== i);
      y = multiModeProduct64(
        x,
        others.map((j) => factors[j] as Matrix64),
        others.map((j) => modes[j] as number),
        { transpose: true },
      );
      factors[i] = leadingLeft64(unfold64(y, modes[i] as number), ranks[i] as number);
      last = i;
    }
    core = modeProduct64(y, factors[last] as Matrix64, modes[last] as number, { transpose: true });
    iterations = it;
    const next = relErr(core);
    const delta = Math.abs(err - next);
    err = next;
    if (delta < tol) break;
  }
  return { core, factors, modes, iterations, relError: err };
}

/**
 * {@link hooi64} on a float32 tfjs tensor (computed in float64); returns new tensors the caller
 * owns, plus the iteration record.
 *
 * Reads `x` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await x.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link hooi64}.
 */
export function hooi(x: tf.Tensor, ranks: readonly number[], options: HooiOptions = {}): TuckerTensor & IterationInfo {
  checkTensor(x, 'x');
  checkMinOrder(x.shape, 1, 'x');
  checkHooiOptions(options);
  resolveTuckerRanks(x.shape, ranks, options.modes);
  const r = hooi64(fromTf(x, 'x'), ranks, options);
  return { ...tuckerToTf(r), iterations: r.iterations, relError: r.relError };
}

function checkHooiOptions(options: HooiOptions): { maxIter: number; tol: number } {
  const maxIter = options.maxIter ?? 25;
  const tol = options.tol ?? 1e-4;
  checkInt(maxIter, 'options.maxIter', 0);
  checkNumber(tol, 'options.tol', 0, Number.MAX_VALUE);
  if (options.init !== undefined && options.init !== 'hosvd') {
    throw new TnzipError('INVALID_ARGUMENT', `options.init must be 'hosvd', got ${String(options.init)}`);
  }
  return { maxIter, tol };
}
