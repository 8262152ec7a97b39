import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { field, isAny } from './checks.js';

/**
 * `[N, ...]` → `[N, ...targetShape]` in row-major order (Keras `Reshape`); at most one entry
 * of `targetShape` may be −1 (inferred). No params, no MACs.
 */
export class Reshape extends Module {
  readonly kind = 'reshape';
  readonly targetShape: readonly number[];

  constructor(name: string, targetShape: readonly number[]) {
    super(name);
    const ok =
      Array.isArray(targetShape) &&
      targetShape.length >= 1 &&
      targetShape.every((d) => Number.isInteger(d) && (d >= 1 || d === -1)) &&
      targetShape.filter((d) => d === -1).length <= 1;
    if (!ok)
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `Reshape '${name}': targetShape must be integers >= 1 with at most one -1, got ${JSON.stringify(targetShape)}`,
      );
    this.targetShape = [...targetShape];
  }

  /** The target shape with −1 resolved for an input of `size` elements per example. */
  resolve(size: number): number[] {
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const free = this.targetShape.includes(-1);
    if (free ? size % known !== 0 : size !== known)
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}': cannot reshape ${size} values per example to [${this.targetShape.join(', ')}]`,
      );
    return this.targetShape.map((d) => (d === -1 ? size / known : d));
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const n = x.shape[0] as number;
    return tf.reshape(x, [n, ...this.resolve(n === 0 ? 0 : x.size / n)]);
  }

  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: this.resolve(inputShape.reduce((a, b) => a * b, 1)) };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, targetShape: this.targetShape };
  }
}

registerModule('reshape', (c) => new Reshape(c.name, field<number[]>(c, 'targetShape', isAny, 'a shape')));
