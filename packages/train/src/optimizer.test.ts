import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { createOptimizer, type OptimizerConfig } from './optimizer.js';

const W0 = [1, -2];
const G = [
  [0.5, 0.25],
  [-1, 0.5],
];
const LR = 0.1;

/** Runs two steps of `config` on w = W0 with the gradients G; returns w after each step. */
function run(config: OptimizerConfig): number[][] {
  const w = tf.tidy(() => tf.variable(tf.tensor1d(W0)));
  const opt = createOptimizer([['w', w]], config);
  const out: number[][] = [];
  for (const g of G) {
    const gt = tf.tensor1d(g);
    opt.step(new Map([['w', gt]]), LR);
    gt.dispose();
    out.push(Array.from(w.dataSync()));
  }
  opt.dispose();
  w.dispose();
  return out;
}

/** float32 arithmetic: agree to ~1e-6 relative. */
function close(a: number[], b: number[]): void {
  a.forEach((v, i) => {
    expect(Math.abs(v - (b[i] as number))).toBeLessThan(1e-6 * Math.max(1, Math.abs(b[i] as number)));
  });
}

describeBackends('optimizers', () => {
  it('SGD with momentum and weight decay matches the hand-computed steps', () => {
    {
      const [s1, s2] = run({ kind: 'sgd', momentum: 0.9, weightDecay: 0.01 });
      // step 1: d = g + 0.01·w = [0.51, 0.23]; b = d; w = w − 0.1·b
      close(s1 as number[], [0.949, -2.023]);
      // step 2: d = [-1 + 0.00949, 0.5 − 0.02023]; b = 0.9·[0.51, 0.23] + d; w −= 0.1·b
      const b2 = [0.9 * 0.51 + (-1 + 0.00949), 0.9 * 0.23 + (0.5 - 0.02023)];
      close(s2 as number[], [0.949 - 0.1 * (b2[0] as number), -2.023 - 0.1 * (b2[1] as number)]);
    }
  });

  it('steps allocate no tensor (every optimizer)', () => {
    for (const config of [
      { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.1 },
      { kind: 'adam', weightDecay: 0.1 },
      { kind: 'adamw' },
    ] as OptimizerConfig[]) {
      const w = tf.tidy(() => tf.variable(tf.tensor1d(W0)));
      const opt = createOptimizer([['w', w]], config);
      const g = tf.tensor1d(G[0] as number[]);
      opt.step(new Map([['w', g]]), LR);
      expectNoLeak(() => {
        for (let i = 0; i < 5; i++) opt.step(new Map([['w', g]]), LR);
      });
      tf.dispose([w, g]);
      opt.dispose();
    }
  });

  it('Nesterov SGD steps along d + μ·b', () => {
    const [s1] = run({ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    // step 1: b = d = [0.51, 0.23]; update = d + 0.9·b = 1.9·d
    close(s1 as number[], [1 - 0.1 * 1.9 * 0.51, -2 - 0.1 * 1.9 * 0.23]);
  });

  it('plain SGD is w − lr·g', () => {
    const [s1, s2] = run({ kind: 'sgd' });
    close(s1 as number[], [0.95, -2.025]);
    close(s2 as number[], [1.05, -2.075]);
  });

  it('Adam: the first step moves each weight by lr·sign(g); the second matches the formula', () => {
    const [s1, s2] = run({ kind: 'adam', eps: 1e-8 });
    close(s1 as number[], [0.9, -2.1]);
    const expected = (s1 as number[]).map((w, i) => {
      const g1 = (G[0] as number[])[i] as number;
      const g2 = (G[1] as number[])[i] as number;
      const m = 0.9 * 0.1 * g1 + 0.1 * g2;
      const v = 0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2;
      return w - (LR * (m / (1 - 0.9 ** 2))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    });
    close(s2 as number[], expected);
  });

  it('Adam adds L2 to the gradient, AdamW decays the weights directly', () => {
    // Adam + L2 0.1: g' = [0.6, 0.05], same signs → the first step is still ±lr
    close(run({ kind: 'adam', weightDecay: 0.1 })[0] as number[], [0.9, -2.1]);
    // AdamW 0.1: w·(1 − 0.1·0.1) − 0.1·sign(g)
    close(run({ kind: 'adamw', weightDecay: 0.1 })[0] as number[], [0.99 - 0.1, -1.98 - 0.1]);
  });

  it('state() / loadState() continue bit-exactly, and bad configs are refused', () => {
    const a = tf.tidy(() => tf.variable(tf.tensor1d(W0)));
    const b = tf.tidy(() => tf.variable(tf.tensor1d(W0)));
    const oa = createOptimizer([['w', a]], { kind: 'adam' });
    const g1 = tf.tensor1d(G[0] as number[]);
    const g2 = tf.tensor1d(G[1] as number[]);
    oa.step(new Map([['w', g1]]), LR);
    b.assign(a);
    const ob = createOptimizer([['w', b]], { kind: 'adam' });
    ob.loadState(oa.state());
    oa.step(new Map([['w', g2]]), LR);
    ob.step(new Map([['w', g2]]), LR);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => createOptimizer([['w', a]], { kind: 'rmsprop' } as unknown as OptimizerConfig)).toThrow(
      /'sgd', 'adam' or 'adamw'/,
    );
    expect(() => createOptimizer([['w', a]], { kind: 'sgd', momentum: 1.5 })).toThrow(/momentum/);
    expect(() => createOptimizer([['w', a]], { kind: 'sgd', nesterov: true })).toThrow(/nesterov/);
    tf.dispose([a, b, g1, g2]);
    oa.dispose();
    ob.dispose();
  });
});
