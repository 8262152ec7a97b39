import * as tf from '@tensorflow/tfjs-core';
import type { Pads } from '../ops/conv-geometry.js';
import { registerModule } from '../registry.js';
import { explicitPads, Pool2d, poolOptions } from './pool2d.js';

/** 2-D max pooling, NHWC: `[N, H, W, C]` → `[N, H', W', C]`. No params, no MACs. */
export class MaxPool extends Pool2d {
  readonly kind = 'max-pool';

  protected pool(x: tf.Tensor4D, pads: Pads): tf.Tensor4D {
    return tf.maxPool(x, this.kernelSize, this.stride, explicitPads(pads));
  }
}

registerModule('max-pool', (c) => new MaxPool(c.name, poolOptions(c)));
