import type { TrainOptions } from './train.js';

/** A documented default training recipe for a zoo model, with what it measured. */
export interface Recipe {
  /** Zoo model name (`@tnzip/zoo` `createModel`). */
  readonly model: string;
  readonly dataset: 'mnist';
  readonly options: Pick<
    TrainOptions,
    'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'schedule' | 'warmupSteps' | 'labelSmoothing' | 'seed'
  >;
  /**
   * Measured with `examples/lenet-mnist.ts` on full MNIST (wasm backend, one 2-core machine shared with
   * other jobs, so `seconds` is pessimistic). Accuracy is deterministic for a given seed and backend.
   */
  readonly measured: {
    readonly testAcc: number;
    readonly epochs: number;
    readonly seconds: number;
    readonly backend: string;
  };
}

/** Default recipes: LeNet-300-100 (target >= 98.0 % test accuracy) and LeNet-5 (>= 99.0 %) on MNIST. */
export const recipes: { readonly lenet300: Recipe; readonly lenet5: Recipe } = {
  lenet300: {
    model: 'lenet300',
    dataset: 'mnist',
    options: {
      epochs: 4,
      batchSize: 64,
      lr: 0.1,
      optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
      schedule: { kind: 'cosine' },
      warmupSteps: 200,
      seed: 0,
    },
    measured: { testAcc: 0.9804, epochs: 4, seconds: 203, backend: 'wasm' },
  },
  lenet5: {
    model: 'lenet5',
    dataset: 'mnist',
    options: {
      epochs: 4,
      batchSize: 64,
      lr: 0.01,
      optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      schedule: { kind: 'cosine' },
      warmupSteps: 200,
      seed: 0,
    },
    measured: { testAcc: 0.9909, epochs: 4, seconds: 430, backend: 'wasm' },
  },
};
