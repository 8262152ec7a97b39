import type * as tf from '@tensorflow/tfjs-core';
import { Rng, TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { registerModule } from '../registry.js';
import { field, isIntList, isString } from './config-fields.js';
import { makeParam, seededNormal } from './params.js';

/**
 * Highest tensor rank the core variable of an ADA/SCADA layer has: 6. tfjs-backend-wasm's
 * XNNPACK element-wise kernels take at most 6 dimensions and return garbage on a 7-D tensor
 * (measured: `tf.mul(ones([2,2,2,2,2,2,2]), 3)` sums to 3.6e-41) — which the optimizer's update
 * of a 7-D variable would hit.
 */
export const ADA_CORE_MAX_RANK = 6;

/**
 * Shape of the core variable for core ranks `[r_1, …, r_d]`: the ranks themselves up to order
 * `ADA_CORE_MAX_RANK` (what model files written so far hold), above it the mode-1
 * unfolding `[r_1, r_2·…·r_d]` (same entries, row-major), so no order creates a tensor of rank
 * above 6 (the contraction, `tuckerRebuild`, works on 2-D views of either).
 */
export function adaCoreShape(ranks: readonly number[]): number[] {
  if (ranks.length <= ADA_CORE_MAX_RANK) return [...ranks];
  return [ranks[0] as number, ranks.slice(1).reduce((a, r) => a * r, 1)];
}

/**
 * The one core tensor of a SCADA-Tucker group (Zhong et al. 2019): `core` `[r_1, …, r_d]`,
 * shared by every {@link AdaTuckerLayer} of the group, each with its own factors and scale.
 * Above order 6 the variable holds the 2-D unfolding `[r_1, r_2·…·r_d]` ({@link adaCoreShape}).
 *
 * Ownership (so the variable is trained, counted and serialized exactly once): the first layer
 * of the group in depth-first module order owns the SharedCore as its child named
 * `sharedCore` (parameter path `<layer>.sharedCore.core`); the other layers of the group hold a
 * reference only, bound by {@link linkSharedCores} — which `factorize` and `load` call — from
 * the group name in their config. A SharedCore is not a layer: its forward pass throws.
 */
export class SharedCore extends Module {
  readonly kind = 'shared-core';
  readonly group: string;
  readonly ranks: readonly number[];
  /** `[r_1, …, r_d]` ({@link adaCoreShape}). */
  readonly core: tf.Variable;

  constructor(name: string, options: { group: string; ranks: readonly number[]; seed?: number }) {
    super(name);
    if (typeof options.group !== 'string' || options.group === '') {
      throw new TnzipError('INVALID_ARGUMENT', `SharedCore '${name}': group must be a non-empty string`);
    }
    if (
      !Array.isArray(options.ranks) ||
      options.ranks.length === 0 ||
      !options.ranks.every((r) => Number.isInteger(r) && r >= 1)
    ) {
      throw new TnzipError(
        'INVALID_RANK',
        `SharedCore '${name}': ranks must be a non-empty list of integers >= 1, got ${JSON.stringify(options.ranks)}`,
      );
    }
    this.group = options.group;
    this.ranks = [...options.ranks];
    const rng = new Rng(options.seed ?? 0);
    this.core = makeParam(
      (v) => this.addParam('core', v),
      () => seededNormal(adaCoreShape(this.ranks), 1, rng),
    );
  }

  forward(_x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `shared-core '${this.name}' holds a parameter and cannot be run as a layer`,
    );
  }

  /** Params: `Π r_i`; no MACs (the layers that use the core count theirs). */
  cost(inputShape: Shape): Cost {
    return { params: this.core.size, macs: 0, outputShape: inputShape };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, group: this.group, ranks: [...this.ranks] };
  }
}

/** What {@link linkSharedCores} needs of a layer that may use a shared core. */
export interface SharedCoreUser {
  /** SCADA group, or null for a layer with its own core. */
  readonly group: string | null;
  /** The SharedCore this layer owns (a child), or null. */
  readonly ownedCore: SharedCore | null;
  /** Binds a follower to its group's core. */
  bindSharedCore(core: SharedCore): void;
}

function isUser(m: unknown): m is SharedCoreUser {
  return (
    m !== null &&
    typeof m === 'object' &&
    typeof (m as { bindSharedCore?: unknown }).bindSharedCore === 'function' &&
    'ownedCore' in m
  );
}

/**
 * Binds every SCADA follower under `root` to the SharedCore of its group (owned by the first
 * layer of the group). CORRUPT_FILE when a group has no owner or two owners.
 */
export function linkSharedCores(root: Module): void {
  const owners = new Map<string, SharedCore>();
  const users: Array<[string, SharedCoreUser]> = [];
  for (const [path, m] of root.namedModules()) {
    if (!isUser(m) || m.group === null) continue;
    if (m.ownedCore !== null) {
      if (owners.has(m.group))
        throw new TnzipError(
          'CORRUPT_FILE',
          `SCADA group '${m.group}' has two owners of its shared core (second at '${path}')`,
        );
      owners.set(m.group, m.ownedCore);
    } else {
      users.push([path, m]);
    }
  }
  for (const [path, u] of users) {
    const core = owners.get(u.group as string);
    if (core === undefined)
      throw new TnzipError(
        'CORRUPT_FILE',
        `layer '${path}' uses SCADA group '${String(u.group)}', which has no owner of its shared core`,
      );
    u.bindSharedCore(core);
  }
}

registerModule('shared-core', (c) => {
  const r = c as Record<string, unknown>;
  return new SharedCore(c.name, {
    group: field(r, 'group', isString, 'a string'),
    ranks: field(r, 'ranks', isIntList, 'a list of positive integers'),
  });
});
