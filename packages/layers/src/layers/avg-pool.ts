import * as tf from '@tensorflow/tfjs-core';
import type { Pads } from '../ops/conv-geometry.js';
import { registerModule } from '../registry.js';
import { explicitPads, Pool2d, poolOptions } from './pool2d.js';

/**
 * 2-D average pooling, NHWC: `[N, H, W, C]` → `[N, H', W', C]`. Padded cells are not counted
 * (PyTorch's `count_include_pad=False`). No params, no MACs.
 */
export class AvgPool extends Pool2d {
  readonly kind = 'avg-pool';

  protected pool(x: tf.Tensor4D, pads: Pads): tf.Tensor4D {
    return tf.avgPool(x, this.kernelSize, this.stride, explicitPads(pads));
  }
}

registerModule('avg-pool', (c) => new AvgPool(c.name, poolOptions(c)));
