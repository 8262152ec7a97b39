import { TnzipError } from '@tnzip/tensor';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import type { Module } from '../module.js';
import type { ExecutionMode, FactorizationPlan, LayerPlan } from '../plan.js';
import { AdaTuckerLayer } from './ada-tucker.js';
import { CPConv2d } from './cp-conv2d.js';
import { linkSharedCores, type SharedCore } from './shared-core.js';
import { TTConv2d } from './tt-conv2d.js';
import { TTLinear } from './tt-linear.js';
import { Tucker2Conv2d } from './tucker2-conv2d.js';

/** Options of {@link factorize}. */
export interface FactorizeOptions {
  /** Execution mode of every Tucker-2 / CP / TT layer built. Default 'factorized'. */
  readonly mode?: ExecutionMode;
  /** Seed of the random parts (CP-ALS init, random ADA init). Default 0. */
  readonly seed?: number;
  /** ADA/SCADA init: 'decompose' (default, HOSVD of the pretrained weight) or 'random'. */
  readonly adaInit?: 'decompose' | 'random';
  /** Dispose the replaced dense layers' variables. Default true. */
  readonly disposeReplaced?: boolean;
}

/**
 * The factorized version of one dense layer (a fresh module with the same name).
 * Reads the dense weights synchronously: on webgpu, `await cacheOnCpu(layer)` first.
 */
export function factorizeLayer(
  layer: Module,
  plan: LayerPlan,
  options: FactorizeOptions & { sharedCore?: SharedCore } = {},
): Module {
  const mode = options.mode ?? 'factorized';
  const where = `layer '${layer.name}' (${layer.kind})`;
  switch (plan.kind) {
    case 'dense':
      return layer;
    case 'tucker2':
      if (layer instanceof Conv2d) return Tucker2Conv2d.fromDense(layer, plan, { mode });
      break;
    case 'tucker': {
      // Full Tucker of a conv kernel [k_h, k_w, S, T] that keeps the spatial modes whole is Tucker-2.
      if (layer instanceof Conv2d) {
        const [kh, kw] = layer.kernelSize;
        const r = plan.ranks;
        if (!Array.isArray(r) || r.length !== 4)
          throw new TnzipError(
            'INVALID_RANK',
            `${where}: plan.ranks must have 4 entries [k_h, k_w, R_S, R_T], got ${JSON.stringify(r)}`,
          );
        if (r[0] !== kh || r[1] !== kw) {
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `${where}: plan.ranks[0..1] must equal the kernel size ${kh}, ${kw} (spatial modes are not factorized), got ${r[0]}, ${r[1]}`,
          );
        }
        return Tucker2Conv2d.fromDense(
          layer,
          { kind: 'tucker2', rankS: r[2] as number, rankT: r[3] as number },
          { mode },
        );
      }
      break;
    }
    case 'cp':
      if (layer instanceof Conv2d) return CPConv2d.fromDense(layer, plan, { mode, seed: options.seed ?? 0 });
      break;
    case 'tt':
      if (layer instanceof Conv2d) return TTConv2d.fromDense(layer, plan, { mode });
      if (layer instanceof Linear) return TTLinear.fromDense(layer, plan, { mode });
      break;
    case 'ada-tucker':
    case 'scada-tucker':
      if (layer instanceof Conv2d || layer instanceof Linear) {
        return AdaTuckerLayer.fromDense(layer, plan, {
          init: options.adaInit ?? 'decompose',
          seed: options.seed ?? 0,
          ...(options.sharedCore === undefined ? {} : { sharedCore: options.sharedCore }),
        });
      }
      break;
    default:
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${where}: unknown plan kind '${String((plan as { kind: unknown }).kind)}'`,
      );
  }
  throw new TnzipError(
    'INVALID_ARGUMENT',
    `${where}: plan kind '${plan.kind}' does not apply to a ${layer.kind} layer`,
  );
}

/**
 * Replaces, in place, every layer named in `plan` (by full path, e.g. `'layer1.0.conv1'`) by its
 * factorized version built with `fromDense` from the pretrained weights, and returns `model`.
 * Layers are processed in depth-first module order, so the first layer of a SCADA group owns
 * its shared core. NOT_FOUND for a path with no module; INVALID_ARGUMENT for a plan kind that
 * does not apply to the layer (or the root itself). Ranks are validated by each layer
 * (INVALID_RANK). Nothing is replaced unless every layer factorizes.
 *
 * The dense weights are read synchronously (decompositions run in float64 on the CPU), which
 * works on cpu and wasm; on webgpu, where GPU-resident weights cannot be read synchronously in
 * Node, `await cacheOnCpu(model)` first.
 */
export function factorize(model: Module, plan: FactorizationPlan, options: FactorizeOptions = {}): Module {
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
  const groups = new Map<string, SharedCore>();
  const built: Array<[string, Module, Module]> = [];
  try {
    for (const [path, layer] of modules) {
      const lp = plan[path];
      if (lp === undefined || lp.kind === 'dense') continue;
      const shared = lp.kind === 'scada-tucker' ? groups.get(lp.group) : undefined;
      const f = factorizeLayer(layer, lp, { ...options, ...(shared === undefined ? {} : { sharedCore: shared }) });
      if (lp.kind === 'scada-tucker' && shared === undefined && f instanceof AdaTuckerLayer && f.ownedCore !== null)
        groups.set(lp.group, f.ownedCore);
      built.push([path, layer, f]);
    }
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
