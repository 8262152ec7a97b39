import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { createModule, registerModule } from '../registry.js';
import { releaseFolds, runChain } from './fusion.js';
import { chainCost, childConfigs } from './sequential.js';

/** Options of {@link Residual}. */
export interface ResidualOptions {
  /** Applied to the sum (the basic ResNet block ends in a ReLU after the addition). Default `'none'`. */
  readonly activation?: 'none' | 'relu';
}

/**
 * out = act(body(x) + shortcut(x)), identity shortcut when none is given.
 *
 * `body` is one module or a list run in order; a list is registered directly as children, so
 * a ResNet block's layers have the short paths `layer1.0.conv1`, `layer1.0.bn1`, … and the
 * shortcut `layer1.0.<shortcut name>`. Cost: body + shortcut (the addition is not counted).
 * SHAPE_MISMATCH when body and shortcut disagree on the output shape.
 */
export class Residual extends Module {
  readonly kind = 'residual';
  readonly body: readonly Module[];
  readonly shortcut: Module | null;
  readonly activation: 'none' | 'relu';
  private readonly bodyIsList: boolean;

  constructor(name: string, body: Module | readonly Module[], shortcut?: Module | null, options: ResidualOptions = {}) {
    super(name);
    this.bodyIsList = Array.isArray(body);
    this.body = this.bodyIsList ? [...(body as readonly Module[])] : [body as Module];
    for (const m of this.body) this.addChild(m);
    this.shortcut = shortcut ?? null;
    if (this.shortcut !== null) this.addChild(this.shortcut);
    this.activation = options.activation ?? 'none';
    if (this.activation !== 'none' && this.activation !== 'relu') {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `Residual '${name}': activation must be 'none' or 'relu', got ${String(this.activation)}`,
      );
    }
  }

  /** Children in the current order (replaceChild may have swapped some). */
  private parts(): { body: Module[]; shortcut: Module | null } {
    const all = [...this.children()];
    const shortcut = this.shortcut === null ? null : (all.pop() as Module);
    return { body: all, shortcut };
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const { body, shortcut } = this.parts();
    // At inference, conv + BatchNorm (+ ReLU) runs of the body are fused (fusion.ts).
    const y = runChain(body, x, ctx, (m, v) => this.call(m, v, ctx));
    const s = shortcut === null ? x : this.call(shortcut, x, ctx);
    if (y.shape.length !== s.shape.length || y.shape.some((d, i) => d !== s.shape[i])) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}': body output [${y.shape.join(', ')}] and shortcut output [${s.shape.join(', ')}] differ`,
      );
    }
    const sum = tf.add(y, s);
    return this.activation === 'relu' ? tf.relu(sum) : sum;
  }

  /** Disposes every parameter and buffer of the subtree and the fused-inference caches. */
  override dispose(): void {
    releaseFolds(this);
    super.dispose();
  }

  cost(inputShape: Shape): Cost {
    const { body, shortcut } = this.parts();
    const b = chainCost(body, inputShape);
    const s = shortcut === null ? { params: 0, macs: 0, outputShape: inputShape } : shortcut.cost(inputShape);
    if (b.outputShape.length !== s.outputShape.length || b.outputShape.some((d, i) => d !== s.outputShape[i])) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}': body output [${b.outputShape.join(', ')}] and shortcut output [${s.outputShape.join(', ')}] differ`,
      );
    }
    return { params: b.params + s.params, macs: b.macs + s.macs, outputShape: b.outputShape };
  }

  config(): ModuleConfig {
    const { body, shortcut } = this.parts();
    return {
      kind: this.kind,
      name: this.name,
      body: this.bodyIsList ? body.map((m) => m.config()) : (body[0] as Module).config(),
      shortcut: shortcut === null ? null : shortcut.config(),
      activation: this.activation,
    };
  }
}

registerModule('residual', (c) => {
  const body = Array.isArray(c.body) ? childConfigs(c, 'body', c.body) : createModule(c.body as ModuleConfig);
  const shortcut = c.shortcut === null || c.shortcut === undefined ? null : createModule(c.shortcut as ModuleConfig);
  const activation = c.activation === 'relu' ? 'relu' : 'none';
  return new Residual(c.name, body, shortcut, { activation });
});
