import * as tf from '@tensorflow/tfjs-core';
import { checkInt, TnzipError } from '@tnzip/tensor';
import { defaultSeed, glorotUniform } from '../init.js';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape, field, isBool, isNum } from './checks.js';
import { type Epilogue, type Fusible, foldedParams } from './fusion.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** S, input features (>= 1). */
  readonly inFeatures: number;
  /** T, output features (>= 1). */
  readonly outFeatures: number;
  /** Default true. */
  readonly bias?: boolean;
  /** Init seed; default: {@link defaultSeed} (name hash and construction order). */
  readonly seed?: number;
}

/**
 * Fully connected layer: `[N, S]` → `[N, T]`, y = x·W + b with W `[S, T]`, b `[T]`.
 * Runs through {@link fastMatMul}. Glorot-uniform init, zero bias.
 *
 * Cost: params = S·T (+T), MACs = S·T.
 */
export class Linear extends Module implements Fusible {
  readonly kind = 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** `[S, T]`. */
  readonly weight: tf.Variable;
  /** `[T]`, or null without bias. */
  readonly bias: tf.Variable | null;
  private readonly seed: number | undefined;

  constructor(name: string, options: LinearOptions) {
    super(name);
    checkInt(options.inFeatures, `Linear '${name}': inFeatures`, 1);
    checkInt(options.outFeatures, `Linear '${name}': outFeatures`, 1);
    if (options.bias !== undefined && typeof options.bias !== 'boolean') {
      throw new TnzipError('INVALID_ARGUMENT', `Linear '${name}': bias must be a boolean, got ${String(options.bias)}`);
    }
    if (options.seed !== undefined) checkInt(options.seed, `Linear '${name}': seed`, 0, 0xffffffff);
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    this.seed = options.seed;
    const seed = options.seed ?? defaultSeed(name);
    const init = tf.tidy(() =>
      glorotUniform([this.inFeatures, this.outFeatures], this.inFeatures, this.outFeatures, seed),
    );
    this.weight = this.addParam('weight', init);
    init.dispose(); // addParam copies into a variable
    if (options.bias === false) {
      this.bias = null;
    } else {
      const zeros = tf.zeros([this.outFeatures]);
      this.bias = this.addParam('bias', zeros);
      zeros.dispose();
    }
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (this.bias !== null && tf.engine().state.gradientDepth === 0) {
      // No gradient recorded: bias in the matMul kernel (_FusedMatMul) instead of a separate Add.
      return this.forwardFused(x, ctx, { bn: null, relu: false });
    }
    expectBatch(this.name, x, [this.inFeatures]);
    const y = fastMatMul(x as tf.Tensor2D, this.weight as tf.Tensor2D);
    return this.bias === null ? y : tf.add(y, this.bias);
  }

  fusedOutFeatures(): number {
    return this.outFeatures;
  }

  /**
   * matMul + bias (+ folded BatchNorm) (+ ReLU) as one `tf.fused.matMul` kernel; for inference
   * only (no gradient flows to a folded weight).
   */
  forwardFused(x: tf.Tensor, _ctx: ForwardContext, epilogue: Epilogue): tf.Tensor {
    expectBatch(this.name, x, [this.inFeatures]);
    const { weight, bias } =
      epilogue.bn === null
        ? { weight: this.weight as tf.Tensor, bias: this.bias as tf.Tensor | null }
        : foldedParams(this, this.weight, this.bias, epilogue.bn);
    return tf.fused.matMul({
      a: x as tf.Tensor2D,
      b: weight as tf.Tensor2D,
      ...(bias === null ? {} : { bias }),
      activation: epilogue.relu ? 'relu' : 'linear',
    });
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [this.inFeatures]);
    const macs = this.inFeatures * this.outFeatures;
    return { params: macs + (this.bias === null ? 0 : this.outFeatures), macs, outputShape: [this.outFeatures] };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

registerModule('linear', (c) => {
  const seed = c.seed;
  return new Linear(c.name, {
    inFeatures: field<number>(c, 'inFeatures', isNum, 'a number'),
    outFeatures: field<number>(c, 'outFeatures', isNum, 'a number'),
    bias: field<boolean>(c, 'bias', isBool, 'a boolean'),
    ...(typeof seed === 'number' ? { seed } : {}),
  });
});
