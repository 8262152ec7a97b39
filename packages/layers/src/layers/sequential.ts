import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { createModule, registerModule } from '../registry.js';
import { type Epilogue, isFusible, releaseFolds, runChain } from './fusion.js';

/**
 * Runs its children in order; the output of one is the input of the next. Cost: the sum of
 * the children's params and MACs along the propagated shapes.
 *
 * At inference (not training, no capture, no gradient recorded) a Conv2d / Linear followed by
 * BatchNorm and/or ReLU runs as one fused kernel, the BatchNorm folded into cached weights
 * (see fusion.ts); {@link Sequential.dispose} releases those caches for the whole subtree.
 */
export class Sequential extends Module {
  readonly kind = 'sequential';

  constructor(name: string, modules: readonly Module[]) {
    super(name);
    if (!Array.isArray(modules))
      throw new TnzipError('INVALID_ARGUMENT', `Sequential '${name}': modules must be an array`);
    for (const m of modules) this.addChild(m);
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return runChain(this.children(), x, ctx, (c, y) => this.call(c, y, ctx));
  }

  /** The fused path of a chain: the last child absorbs the epilogue when it can (fusion.ts). */
  fusedOutFeatures(): number | null {
    const last = this.children().at(-1);
    return last !== undefined && isFusible(last) ? last.fusedOutFeatures() : null;
  }

  /**
   * Inference with `epilogue` (bias, folded batch norm, ReLU) fused into the last layer of the chain;
   * null when that layer cannot fuse it (the caller then runs the plain path).
   */
  forwardFused(x: tf.Tensor, ctx: ForwardContext, epilogue: Epilogue): tf.Tensor | null {
    const all = this.children();
    const last = all.at(-1);
    if (last === undefined || !isFusible(last)) return null;
    const y = runChain(all.slice(0, -1), x, ctx, (c, v) => this.call(c, v, ctx));
    const path = ctx.path === '' ? last.name : `${ctx.path}.${last.name}`;
    const out = last.forwardFused(y, { ...ctx, path }, epilogue);
    if (out !== null) return out;
    // The tail refused after the head ran: finish the chain the plain way.
    let z = this.call(last, y, ctx);
    if (epilogue.bn !== null)
      z = tf.batchNorm(
        z,
        epilogue.bn.runningMean,
        epilogue.bn.runningVar,
        epilogue.bn.bias,
        epilogue.bn.weight,
        epilogue.bn.eps,
      );
    return epilogue.relu ? tf.relu(z) : z;
  }

  /** Disposes every parameter and buffer of the subtree and the fused-inference caches. */
  override dispose(): void {
    releaseFolds(this);
    super.dispose();
  }

  cost(inputShape: Shape): Cost {
    return chainCost(this.children(), inputShape);
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, children: this.children().map((c) => c.config()) };
  }
}

/** Cost of `modules` applied one after another to an input of `inputShape`. */
export function chainCost(modules: readonly Module[], inputShape: Shape): Cost {
  let params = 0;
  let macs = 0;
  let shape = inputShape;
  for (const m of modules) {
    const c = m.cost(shape);
    params += c.params;
    macs += c.macs;
    shape = c.outputShape;
  }
  return { params, macs, outputShape: shape };
}

/** Rebuilds a list of child configs; CORRUPT_FILE when `value` is not an array of configs. */
export function childConfigs(owner: ModuleConfig, key: string, value: unknown): Module[] {
  if (!Array.isArray(value))
    throw new TnzipError(
      'CORRUPT_FILE',
      `config of '${String(owner.name)}' (${owner.kind}): '${key}' must be an array of module configs`,
    );
  return value.map((c) => createModule(c as ModuleConfig));
}

registerModule('sequential', (c) => new Sequential(c.name, childConfigs(c, 'children', c.children)));
