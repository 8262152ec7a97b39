import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape, field, isAny } from './checks.js';

/** `[[top, bottom], [left, right]]`, every entry an integer >= 0. */
export type ZeroPads = readonly [readonly [number, number], readonly [number, number]];

/** Pads the two spatial axes with zeros: `[N, H, W, C]` → `[N, top+H+bottom, left+W+right, C]`. No params, no MACs. */
export class ZeroPad2d extends Module {
  readonly kind = 'zero-pad2d';
  readonly pads: ZeroPads;

  constructor(name: string, pads: ZeroPads) {
    super(name);
    const ok =
      Array.isArray(pads) &&
      pads.length === 2 &&
      pads.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
    if (!ok)
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `ZeroPad2d '${name}': pads must be [[top, bottom], [left, right]] of integers >= 0, got ${JSON.stringify(pads)}`,
      );
    this.pads = [
      [pads[0][0], pads[0][1]],
      [pads[1][0], pads[1][1]],
    ];
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, null]);
    const [h, w] = this.pads;
    return tf.pad(x, [[0, 0], [...h], [...w], [0, 0]]);
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, null]);
    const [h, w, c] = inputShape as [number, number, number];
    const [ph, pw] = this.pads;
    return { params: 0, macs: 0, outputShape: [h + ph[0] + ph[1], w + pw[0] + pw[1], c] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name, pads: this.pads };
  }
}

registerModule('zero-pad2d', (c) => new ZeroPad2d(c.name, field<ZeroPads>(c, 'pads', isAny, 'a pair of pairs')));
