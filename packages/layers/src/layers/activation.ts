import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { field, isAny } from './checks.js';

/** The elementwise functions of {@link Activation}, named as Keras names them. */
export const ACTIVATION_FUNCTIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish',
] as const;

/** One of {@link ACTIVATION_FUNCTIONS}. */
export type ActivationFunction = (typeof ACTIVATION_FUNCTIONS)[number];

/** True when `v` names one of {@link ACTIVATION_FUNCTIONS}. */
export function isActivationFunction(v: unknown): v is ActivationFunction {
  return (ACTIVATION_FUNCTIONS as readonly unknown[]).includes(v);
}

/**
 * An activation function, any shape → same shape (softmax over the last axis). No params,
 * no MACs. Keras semantics, so that imported LayersModels compute what tfjs-layers computes:
 * `swish(x) = x·sigmoid(x)`, `softsign(x) = x / (1 + |x|)`.
 */
export class Activation extends Module {
  readonly kind = 'activation';
  readonly fn: ActivationFunction;

  constructor(name: string, fn: ActivationFunction) {
    super(name);
    this.fn = checkOneOf(fn, `Activation '${name}': fn`, ACTIVATION_FUNCTIONS);
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return applyActivation(this.fn, x);
  }

  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: [...inputShape] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, fn: this.fn };
  }
}

/** `fn(x)` with Keras' definition of each function. */
export function applyActivation(fn: ActivationFunction, x: tf.Tensor): tf.Tensor {
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}

registerModule(
  'activation',
  (c) => new Activation(c.name, field<ActivationFunction>(c, 'fn', isAny, 'an activation function name')),
);
