import * as tf from '@tensorflow/tfjs-core';
import { checkInt, TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { field, isNum } from './checks.js';

/**
 * A module of several inputs (a {@link Graph} node with more than one inbound edge). `forward`
 * and `cost` of a single input are the degenerate one-input merge.
 */
export abstract class Merge extends Module {
  /** Combines a batch from every input (each `[N, ...]`). */
  abstract merge(xs: readonly tf.Tensor[]): tf.Tensor;

  /** Output shape (batch axis excluded) for the inputs' shapes; SHAPE_MISMATCH when they do not combine. */
  abstract mergeShape(shapes: readonly Shape[]): Shape;

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return this.merge([x]);
  }

  cost(inputShape: Shape): Cost {
    return this.mergeCost([inputShape]);
  }

  /** No params, no MACs (additions and copies are not counted). */
  mergeCost(shapes: readonly Shape[]): Cost {
    return { params: 0, macs: 0, outputShape: this.mergeShape(shapes) };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name };
  }
}

const fmt = (shapes: readonly Shape[]): string => shapes.map((s) => `[${s.join(', ')}]`).join(', ');

/** Elementwise sum of inputs of one shape (Keras `Add`). */
export class Add extends Merge {
  readonly kind = 'add';

  merge(xs: readonly tf.Tensor[]): tf.Tensor {
    this.mergeShape(xs.map((x) => x.shape.slice(1)));
    return xs.length === 1 ? (xs[0] as tf.Tensor) : tf.addN([...xs]);
  }

  mergeShape(shapes: readonly Shape[]): Shape {
    const first = shapes[0];
    if (first === undefined || shapes.some((s) => s.length !== first.length || s.some((d, i) => d !== first[i])))
      throw new TnzipError('SHAPE_MISMATCH', `layer '${this.name}' adds inputs of one shape, got ${fmt(shapes)}`);
    return [...first];
  }
}

/**
 * Concatenation along `axis` (per-example axis: 0 is the first axis after the batch axis;
 * negative counts from the end, −1 = channels), Keras `Concatenate`.
 */
export class Concatenate extends Merge {
  readonly kind = 'concatenate';
  readonly axis: number;

  constructor(name: string, axis = -1) {
    super(name);
    checkInt(axis, `Concatenate '${name}': axis`, -16, 15);
    this.axis = axis;
  }

  private resolvedAxis(rank: number): number {
    const a = this.axis < 0 ? rank + this.axis : this.axis;
    if (a < 0 || a >= rank)
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}': axis ${this.axis} is out of range for inputs of rank ${rank} (batch axis excluded)`,
      );
    return a;
  }

  merge(xs: readonly tf.Tensor[]): tf.Tensor {
    const shapes = xs.map((x) => x.shape.slice(1));
    this.mergeShape(shapes);
    return tf.concat([...xs], this.resolvedAxis((shapes[0] as Shape).length) + 1);
  }

  mergeShape(shapes: readonly Shape[]): Shape {
    const first = shapes[0];
    if (first === undefined) throw new TnzipError('SHAPE_MISMATCH', `layer '${this.name}' needs at least one input`);
    const a = this.resolvedAxis(first.length);
    const ok = shapes.every((s) => s.length === first.length && s.every((d, i) => i === a || d === first[i]));
    if (!ok)
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}' concatenates along axis ${this.axis} inputs that agree on every other axis, got ${fmt(shapes)}`,
      );
    const out = [...first];
    out[a] = shapes.reduce((t, s) => t + (s[a] as number), 0);
    return out;
  }

  override config(): ModuleConfig {
    return { kind: this.kind, name: this.name, axis: this.axis };
  }
}

registerModule('add', (c) => new Add(c.name));
registerModule('concatenate', (c) => new Concatenate(c.name, field<number>(c, 'axis', isNum, 'a number')));
