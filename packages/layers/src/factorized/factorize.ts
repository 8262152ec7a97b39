import { TnzipError } from '@tnzip/tensor';
import { builtinKindCount } from '../io/builtin-kinds.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../module.js';
import type { ExecutionMode, FactorizationPlan, LayerPlan } from '../plan.js';
import type { BuiltLayer, FactorizeContext, FactorizedKind, PlanLike } from './kind.js';
import { factorizedKindFor } from './kind-registry.js';
import { linkSharedCores } from './shared-core.js';
/** Options of {@link factorize}. */
export interface FactorizeOptions {
  /** Execution mode of every Tucker-2 / CP / TT layer built. Default 'factorized'. */
  readonly mode?: ExecutionMode;
  /** Seed of the random parts (CP-ALS init, random ADA init). Default 0. */
  readonly seed?: number;
  /** ADA/SCADA init (`AdaInit`): 'decompose' (default, HOSVD of the pretrained weight), 'decompose-norm' or 'random'. */
  readonly adaInit?: 'decompose' | 'decompose-norm' | 'random';
  /** Dispose the replaced dense layers' variables. Default true. */
  readonly disposeReplaced?: boolean;
}

/** The {@link FactorizeContext} of `options`. */
function contextOf(options: FactorizeOptions, shared: Map<string, unknown>): FactorizeContext {
  return {
    mode: options.mode ?? 'factorized',
    seed: options.seed ?? 0,
    adaInit: options.adaInit ?? 'decompose',
    shared,
  };
}

/**
 * The factorized version of one dense layer (a fresh module with the same name; the layer itself
 * for a `'dense'` plan), built by the registered {@link FactorizedKind} of `plan.kind` that applies
 * to the layer. Reads the dense weights synchronously: on webgpu, `await cacheOnCpu(layer)` first.
 *
 * @throws TnzipError INVALID_ARGUMENT (unknown kind, or one that does not apply to the layer),
 *   INVALID_RANK / SHAPE_MISMATCH (the kind's validation of the plan)
 */
export function factorizeLayer(layer: Module, plan: LayerPlan | PlanLike, options: FactorizeOptions = {}): Module {
  builtinKindCount();
  return buildLayer(layer, plan, contextOf(options, new Map()));
}

function buildLayer(layer: Module, plan: PlanLike, context: FactorizeContext): Module {
  const kind = factorizedKindFor(layer, plan, `layer '${layer.name}' (${layer.kind})`);
  kind.validate(layer, plan);
  return kind.fromDense(layer, plan, context);
}

/**
 * Replaces, in place, every layer named in `plan` (by full path, e.g. `'layer1.0.conv1'`) by its
 * factorized version built with `fromDense` from the pretrained weights, and returns `model`.
 * Layers are processed in depth-first module order, so the first layer of a SCADA group owns
 * its shared core; once all are built, each kind's optional `finishBuild` sees the layers it built
 * (SCADA fits each group's core to all its layers there). Each plan entry goes to the registered {@link FactorizedKind} of its kind.
 * NOT_FOUND for a path with no module; INVALID_ARGUMENT for a plan kind that is unknown or does
 * not apply to the layer (or the root itself); every plan is validated (INVALID_RANK,
 * SHAPE_MISMATCH) before any weight is decomposed. Nothing is replaced unless every layer
 * factorizes.
 *
 * The dense weights are read synchronously (decompositions run in float64 on the CPU), which
 * works on cpu and wasm; on webgpu, where GPU-resident weights cannot be read synchronously in
 * Node, `await cacheOnCpu(model)` first.
 */
export function factorize(
  model: Module,
  plan: FactorizationPlan | Readonly<Record<string, PlanLike>>,
  options: FactorizeOptions = {},
): Module {
  builtinKindCount();
  const modules = model.namedModules();
  const byPath = new Map(modules);
  for (const path of Object.keys(plan)) {
    if (path === '') throw new TnzipError('INVALID_ARGUMENT', 'factorize: the plan cannot name the root module');
    if (!byPath.has(path)) {
      const layers = modules.filter(([, m]) => m instanceof Conv2d || m instanceof Linear).map(([p]) => p);
      throw new TnzipError(
        'NOT_FOUND',
        `factorize: no module at path '${path}' (conv/linear layers: ${layers.join(', ')})`,
      );
    }
  }
  const parentOf = new Map<string, Module>();
  for (const [p, m] of modules) for (const c of m.children()) parentOf.set(p === '' ? c.name : `${p}.${c.name}`, m);
  // Every plan is checked before any weight is decomposed.
  for (const [path, layer] of modules) {
    const lp = plan[path];
    if (lp !== undefined) factorizedKindFor(layer, lp, `layer '${layer.name}' (${layer.kind})`).validate(layer, lp);
  }
  const context = contextOf(options, new Map());
  const built: Array<[string, Module, Module]> = [];
  try {
    const byKind = new Map<FactorizedKind, BuiltLayer[]>();
    for (const [path, layer] of modules) {
      const lp = plan[path];
      if (lp === undefined) continue;
      const kind = factorizedKindFor(layer, lp, `layer '${layer.name}' (${layer.kind})`);
      const f = kind.fromDense(layer, lp, context);
      if (f === layer) continue;
      built.push([path, layer, f]);
      byKind.set(kind, [...(byKind.get(kind) ?? []), { dense: layer, plan: lp, layer: f }]);
    }
    for (const [kind, layers] of byKind) kind.finishBuild?.(layers, context);
  } catch (e) {
    for (const [, , f] of built) f.dispose();
    throw e;
  }
  for (const [path, old, f] of built) {
    (parentOf.get(path) as Module).replaceChild(old.name, f);
    if (options.disposeReplaced ?? true) old.dispose();
  }
  linkSharedCores(model);
  return model;
}
