import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkNumber, TnzipError } from '@tnzip/tensor';
import { defaultSeed } from '../init.js';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type ModuleState, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { field, isNum } from './checks.js';

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). */
  readonly rate: number;
  /** Base seed of the masks; default derived from the layer name. */
  readonly seed?: number;
}

/**
 * Inverted dropout: in training, each element is zeroed with probability `rate` and the rest
 * scaled by 1/(1 − rate); identity in evaluation. The k-th training call draws its mask with
 * seed `seed + k`, so a run is reproducible and masks differ between steps. The count k is the
 * layer's state ({@link Dropout.getState}): a checkpoint saves it so that a resumed run draws the
 * same masks as an uninterrupted one.
 */
export class Dropout extends Module {
  readonly kind = 'dropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(name: string, options: DropoutOptions) {
    super(name);
    checkNumber(options.rate, `Dropout '${name}': rate`, 0, 0.999999);
    if (options.seed !== undefined) checkInt(options.seed, `Dropout '${name}': seed`, 0, 0xffffffff);
    this.rate = options.rate;
    this.seed = options.seed ?? defaultSeed(name);
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const seed = (this.seed + this.calls) % 0x100000000;
    this.calls += 1;
    const keep = tf.step(tf.sub(tf.randomUniform(x.shape, 0, 1, 'float32', seed), this.rate));
    return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
  }

  /** `{ calls }`: training calls made so far (the next mask uses seed `seed + calls`). */
  override getState(): ModuleState {
    return { calls: this.calls };
  }

  /** Restores {@link Dropout.getState}; `calls` must be an integer in [0, 2^53). */
  override setState(state: ModuleState): void {
    const calls = typeof state === 'object' && state !== null && !Array.isArray(state) ? state.calls : undefined;
    if (typeof calls !== 'number' || !Number.isSafeInteger(calls) || calls < 0)
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `Dropout '${this.name}': state must be { calls: integer >= 0 }, got ${JSON.stringify(state)}`,
      );
    this.calls = calls;
  }

  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: [...inputShape] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, rate: this.rate, seed: this.seed };
  }
}

registerModule(
  'dropout',
  (c) =>
    new Dropout(c.name, {
      rate: field<number>(c, 'rate', isNum, 'a number'),
      seed: field<number>(c, 'seed', isNum, 'a number'),
    }),
);
