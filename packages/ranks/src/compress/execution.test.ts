import * as tf from '@tensorflow/tfjs-core';
import { mnist, type Split, selectExamples } from '@tnzip/data';
import { FactorizedModule, type OptimizedExecutions } from '@tnzip/layers';
import { describeBackends } from '@tnzip/testing';
import { beforeAll, expect, it } from 'vitest';
import { energySelector } from '../energy.js';
import { latencySelector } from '../latency-selector.js';
import { lenetSmall } from '../models.test-util.js';
import { compress } from './compress.js';
import { denseFallbackAfterChoice, executionAllowance } from './execution-budget.js';

const layers = ['conv2', 'fc1'];
const FAST = { warmup: 1, rounds: 1, minMs: 0 } as const;
let data: { train: Split; test: Split };
beforeAll(() => {
  const m = mnist();
  const first = (s: Split, n: number) =>
    selectExamples(
      s,
      Array.from({ length: n }, (_, i) => i),
    );
  data = { train: first(m.train, 32), test: first(m.test, 20) };
});

describeBackends('compress: execution chosen by measurement', () => {
  it('measures after fine-tuning, hands the choice to save, and never keeps dense what a params budget forbids', async () => {
    const model = lenetSmall();
    let handed: OptimizedExecutions | null = null;
    const budget = { metric: 'params', target: 0.3 } as const;
    const r = await compress(model, data, energySelector(), {
      budget,
      context: { layers, seed: 1 },
      finetune: null,
      evaluate: false,
      executions: { ...FAST, batches: [1, 8] },
      save: async (_m, _p, ex) => {
        handed = ex;
      },
    });
    expect(handed).toBe(r.executions);
    const ex = r.executions as OptimizedExecutions;
    expect(ex.speed.batches).toEqual([1, 8]);
    const allow = executionAllowance(r.report, budget);
    for (const l of ex.choice.layers) {
      expect(l.candidates).toContain('dense');
      for (const e of l.chosen) expect(allow(l.path, e)).toBe(true);
    }
    // Keeping a planned layer dense would exceed 0.3 of the layers' params; the reconstructed kernel does not.
    expect(allow('conv2', 'dense')).toBe(false);
    expect(allow('conv2', 'reconstructed')).toBe(true);
    // The whole-model check may make layers dense under this budget, never under a latency one.
    expect(denseFallbackAfterChoice(budget)).toBe(true);
    expect(denseFallbackAfterChoice({ metric: 'latency', target: 0.5 })).toBe(false);
    for (const path of layers) {
      const m = new Map(model.namedModules()).get(path);
      expect(m).toBeInstanceOf(FactorizedModule);
      expect((m as FactorizedModule).batchModes?.batches).toEqual([1, 8]);
    }
    model.dispose();
  });

  it("a latency budget runs through the pipeline with latencySelector (budget 'latency' accepted)", async () => {
    const model = lenetSmall();
    const r = await compress(
      model,
      data,
      latencySelector(energySelector({ denseFallback: 'metric' }), { batch: 8, steps: 3, timing: FAST }),
      {
        budget: { metric: 'latency', target: 1 },
        context: { layers, seed: 1 },
        finetune: null,
        evaluate: false,
      },
    );
    expect(r.executions).toBeNull();
    const latency = r.report.details?.latency as { limitMs: number; target: { backend: string } } | undefined;
    expect(latency?.limitMs).toBeGreaterThan(0);
    expect(latency?.target.backend).toBe(tf.getBackend());
    model.dispose();
  });
});
