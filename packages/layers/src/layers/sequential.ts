import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { createModule, registerModule } from '../registry.js';

/**
 * Runs its children in order; the output of one is the input of the next. Cost: the sum of
 * the children's params and MACs along the propagated shapes.
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
    let y = x;
    for (const c of this.children()) y = this.call(c, y, ctx);
    return y;
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
