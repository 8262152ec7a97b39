import * as tf from '@tensorflow/tfjs-core';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape } from './checks.js';

/** Mean over the spatial axes: `[N, H, W, C]` → `[N, C]`. No params, no MACs. */
export class GlobalAvgPool extends Module {
  readonly kind = 'global-avg-pool';

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, null]);
    return tf.mean(x, [1, 2]);
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, null]);
    return { params: 0, macs: 0, outputShape: [inputShape[2] as number] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name };
  }
}

registerModule('global-avg-pool', (c) => new GlobalAvgPool(c.name));
