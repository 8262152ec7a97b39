import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkNumber, TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { field, isNum } from './checks.js';

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** C, the size of the last (channel / feature) axis. */
  readonly numFeatures: number;
  /** Weight of the new batch statistic in the running average (PyTorch convention). Default 0.1. */
  readonly momentum?: number;
  /** Added to the variance. Default 1e-5. */
  readonly eps?: number;
}

/**
 * Batch normalization over the last axis: `[N, ..., C]` → same shape,
 * y = γ · (x − μ) / √(σ² + ε) + β.
 *
 * Training: μ, σ² are the (biased) batch statistics over every axis but the last, and the
 * running statistics are updated in place (`assign`) as r ← (1 − m)·r + m·b, with the unbiased
 * batch variance for the running variance (as PyTorch). Evaluation: the running statistics.
 *
 * Params: γ, β (2C); running mean / variance are buffers, not parameters. MACs: 0 (§5 counts
 * conv / linear only).
 */
export class BatchNorm extends Module {
  readonly kind = 'batch-norm';
  readonly numFeatures: number;
  readonly momentum: number;
  readonly eps: number;
  /** γ `[C]`. */
  readonly weight: tf.Variable;
  /** β `[C]`. */
  readonly bias: tf.Variable;
  /** `[C]`, buffer. */
  readonly runningMean: tf.Variable;
  /** `[C]`, buffer. */
  readonly runningVar: tf.Variable;

  constructor(name: string, options: BatchNormOptions) {
    super(name);
    checkInt(options.numFeatures, `BatchNorm '${name}': numFeatures`, 1);
    this.numFeatures = options.numFeatures;
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    checkNumber(this.momentum, `BatchNorm '${name}': momentum`, 0, 1);
    checkNumber(this.eps, `BatchNorm '${name}': eps`, 0, 1);
    const ones = tf.ones([this.numFeatures]);
    const zeros = tf.zeros([this.numFeatures]);
    // addParam / addBuffer copy into variables, so one ones and one zeros serve all four.
    this.weight = this.addParam('weight', ones);
    this.bias = this.addParam('bias', zeros);
    this.runningMean = this.addBuffer('runningMean', zeros);
    this.runningVar = this.addBuffer('runningVar', ones);
    ones.dispose();
    zeros.dispose();
  }

  private check(shape: Shape): void {
    if (shape.length < 1 || shape[shape.length - 1] !== this.numFeatures) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `layer '${this.name}' expects input of shape [..., ${this.numFeatures}] (batch axis excluded), got [${shape.join(', ')}]`,
      );
    }
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    this.check(x.shape.slice(1));
    // tf.batchNorm is one FusedBatchNorm kernel (one pass) where sub/mul/add are three.
    if (!ctx.training) return tf.batchNorm(x, this.runningMean, this.runningVar, this.bias, this.weight, this.eps);
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const count = x.size / this.numFeatures;
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, this.bias, this.weight, this.eps);
    const m = this.momentum;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    // Running statistics are state: nothing downstream of the loss reads them, so no gradient reaches them.
    const newMean = tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m));
    const newVar = tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, m * unbiased));
    this.runningMean.assign(newMean);
    this.runningVar.assign(newVar);
    return y;
  }

  cost(inputShape: Shape): Cost {
    this.check(inputShape);
    return { params: 2 * this.numFeatures, macs: 0, outputShape: [...inputShape] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, numFeatures: this.numFeatures, momentum: this.momentum, eps: this.eps };
  }
}

registerModule(
  'batch-norm',
  (c) =>
    new BatchNorm(c.name, {
      numFeatures: field<number>(c, 'numFeatures', isNum, 'a number'),
      momentum: field<number>(c, 'momentum', isNum, 'a number'),
      eps: field<number>(c, 'eps', isNum, 'a number'),
    }),
);
