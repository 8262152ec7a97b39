import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tnzip/backends';
import { Flatten, type ForwardContext, Linear, type Module, Sequential } from '@tnzip/layers';
import { describe, expect, it } from 'vitest';
import { measurePairLatency } from './latency.js';

const FAST = { warmup: 1, rounds: 3, minMs: 0 } as const;

/** A model that logs each call with its batch size, in call order. */
function counting(name: string, log: string[]): Module {
  class Logged extends Linear {
    override forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
      log.push(`${name}@${x.shape[0]}`);
      return super.forward(x, ctx);
    }
  }
  return new Sequential(name, [new Flatten('f'), new Logged('fc', { inFeatures: 12, outFeatures: 3, seed: 1 })]);
}

describe('measurePairLatency', () => {
  it('times dense and compressed interleaved at batch 1 and 64, leaving no tensor behind', async () => {
    await useBackend('cpu');
    const log: string[] = [];
    const dense = counting('dense', log);
    const compressed = counting('compressed', log);
    const before = tf.memory().numTensors;
    const r = await measurePairLatency(dense, compressed, [2, 2, 3], FAST);
    expect(tf.memory().numTensors).toBe(before);
    for (const l of [r.dense, r.compressed]) {
      expect(l.batch1Ms).toBeGreaterThan(0);
      expect(l.batch64Ms).toBeGreaterThan(0);
      expect(Number.isFinite(l.batch1Ms) && Number.isFinite(l.batch64Ms)).toBe(true);
    }
    // Batch 1 first, then 64; within each, the timed rounds alternate which model runs first.
    const timed = log.slice(2); // after one warm-up call of each at batch 1
    expect(timed.slice(0, 6)).toEqual([
      'dense@1',
      'compressed@1',
      'compressed@1',
      'dense@1',
      'dense@1',
      'compressed@1',
    ]);
    expect(log.filter((e) => e.endsWith('@64'))).toHaveLength(8);
    dense.dispose();
    compressed.dispose();
  });
});
