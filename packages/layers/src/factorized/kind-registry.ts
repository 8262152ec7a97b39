import { TnzipError } from '@tnzip/tensor';
import { Module } from '../module.js';
import type { FactorizedKind, PlanLike } from './kind.js';

const kinds = new Map<string, FactorizedKind[]>();

/**
 * Registers a factorized kind (see {@link FactorizedKind}). Built-in kinds register from their own
 * files; a third-party kind registers before `factorize` / `planCost` / `load` meet its plans.
 * Registering the same descriptor twice is a no-op; a second descriptor for a plan kind adds a
 * layer type it applies to (the first whose `appliesTo` accepts a layer wins).
 *
 * @throws TnzipError INVALID_ARGUMENT for a descriptor without a `planKind` string
 */
export function registerFactorizedKind<P extends PlanLike>(kind: FactorizedKind<P>): void {
  if (kind === null || typeof kind !== 'object' || typeof kind.planKind !== 'string' || kind.planKind === '') {
    throw new TnzipError('INVALID_ARGUMENT', 'registerFactorizedKind: kind.planKind must be a non-empty string');
  }
  const list = kinds.get(kind.planKind) ?? [];
  if (!list.includes(kind as FactorizedKind)) list.push(kind as FactorizedKind);
  kinds.set(kind.planKind, list);
}

/** The plan kinds with a registered descriptor, sorted. */
export function registeredPlanKinds(): string[] {
  return [...kinds.keys()].sort();
}

/**
 * The descriptor that factorizes `layer` by `plan`. `who` prefixes the messages.
 *
 * @throws TnzipError INVALID_ARGUMENT: a plan that is not an object with a string `kind`, a kind
 *   nobody registered, or one that does not apply to this layer
 */
export function factorizedKindFor(layer: Module, plan: PlanLike, who: string): FactorizedKind {
  if (!(layer instanceof Module)) {
    throw new TnzipError('INVALID_ARGUMENT', `${who}: layer must be a Module, got ${String(layer)}`);
  }
  if (plan === null || typeof plan !== 'object' || typeof plan.kind !== 'string') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${who}: plan must be an object with a 'kind', got ${JSON.stringify(plan)}`,
    );
  }
  const list = kinds.get(plan.kind);
  if (list === undefined) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${who}: unknown plan kind '${plan.kind}' (registered: ${registeredPlanKinds().join(', ')})`,
    );
  }
  const kind = list.find((k) => k.appliesTo(layer));
  if (kind === undefined) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `${who}: plan kind '${plan.kind}' does not apply to a ${layer.kind} layer`,
    );
  }
  return kind;
}

/** The descriptor that builds modules of `moduleKind` (e.g. `'tucker2-conv2d'`), or undefined. */
export function factorizedKindOfModule(moduleKind: string): FactorizedKind | undefined {
  for (const list of kinds.values()) for (const k of list) if (k.moduleKinds.includes(moduleKind)) return k;
  return undefined;
}
