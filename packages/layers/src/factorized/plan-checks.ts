import { checkRank, sizeOf, TnzipError } from '@tnzip/tensor';
import type { Module } from '../module.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';

/* Validation of plans, execution modes and `fromDense` arguments (INVALID_RANK / INVALID_ARGUMENT before any work). */

/** INVALID_RANK naming the plan field and its bound. */
export function checkPlanRank(value: unknown, max: number, field: string): number {
  checkRank(value as number, max, `plan.${field}`);
  return value as number;
}

/** Checks that `dims` is a non-empty list of positive integers whose product is `total`. */
export function checkDims(dims: unknown, total: number, field: string, allowPadding = false): number[] {
  if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || (d as number) < 1)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `plan.${field} must be a non-empty list of positive integers, got ${JSON.stringify(dims)}`,
    );
  }
  const p = sizeOf(dims as number[]);
  if (allowPadding ? p < total : p !== total) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `plan.${field} = [${(dims as number[]).join(', ')}] has product ${p}, must ${allowPadding ? 'be >=' : 'equal'} ${total}`,
    );
  }
  return [...(dims as number[])];
}

/** Validates an execution mode. */
export function checkMode(mode: unknown, name = 'mode'): ExecutionMode {
  if (mode !== 'factorized' && mode !== 'reconstructed' && mode !== 'auto') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${name} must be 'factorized', 'reconstructed' or 'auto', got ${String(mode)}`,
    );
  }
  return mode;
}

/**
 * Checks the arguments of a factorized layer's `fromDense`: `layer` must be an instance of `dense`
 * (named `denseName` in the message) and `plan.kind` must be `kind`; throws INVALID_ARGUMENT
 * naming `who` otherwise.
 */
export function checkFromDense<K extends LayerPlan['kind']>(
  who: string,
  layer: Module,
  dense: abstract new (...args: never[]) => Module,
  denseName: string,
  plan: LayerPlan,
  kind: K,
): asserts plan is Extract<LayerPlan, { kind: K }> {
  const name = layer.name;
  if (!(layer instanceof dense)) {
    throw new TnzipError('INVALID_ARGUMENT', `${who}.fromDense: layer '${name}' must be a ${denseName}`);
  }
  if (plan.kind !== kind) {
    throw new TnzipError('INVALID_ARGUMENT', `${who}.fromDense: plan.kind must be '${kind}', got '${plan.kind}'`);
  }
}
