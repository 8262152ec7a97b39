import * as tf from '@tensorflow/tfjs-core';
import { batches, mnist, type Split, selectExamples } from '@tnzip/data';
import { AdaTuckerLayer, type FactorizationPlan, type Module, TTConv2d, TTLinear, Tucker2Conv2d } from '@tnzip/layers';
import { describeBackends } from '@tnzip/testing';
import { beforeAll, expect, it } from 'vitest';
import { adaSelector } from '../ada-select.js';
import { batudeSelector } from '../batude.js';
import type { Budget } from '../budget.js';
import { errorCode } from '../budget-check.test-util.js';
import { energySelector } from '../energy.js';
import { lwiqSelector } from '../lwiq.js';
import { lenetSmall } from '../models.test-util.js';
import type { Calibration } from '../selector.js';
import { uniformSelector } from '../uniform.js';
import { type CompressStage, compress } from './compress.js';

const layers = ['conv2', 'fc1'];
const budget: Budget = { metric: 'params', target: 0.25 };
const ft = { epochs: 1, batchSize: 32, lr: 0.01, logEvery: 0 };
let data: { train: Split; test: Split };
beforeAll(() => {
  const m = mnist();
  data = {
    train: selectExamples(
      m.train,
      Array.from({ length: 64 }, (_, i) => i),
    ),
    test: selectExamples(
      m.test,
      Array.from({ length: 50 }, (_, i) => i),
    ),
  };
});

function calibrationOf(s: Split): Calibration {
  const b = batches(s, { batchSize: s.count, shuffle: false, normalize: { mean: [0], std: [1] } }).next();
  if (b.done === true) throw new Error('empty split');
  return { x: b.value.x, y: b.value.y, numClasses: 10 };
}

const typeOf = (m: Module, path: string): unknown => new Map(m.namedModules()).get(path)?.constructor;

describeBackends('compress (the pipeline)', () => {
  it('selects, factorizes, fine-tunes, evaluates before and after, saves, in that order, leaving no tensor behind', async () => {
    const model = lenetSmall();
    const baseline = tf.memory().numTensors - model.namedParameters().length - model.namedBuffers().length;
    const stages: string[] = [];
    let saved: FactorizationPlan | null = null;
    const r = await compress(model, data, energySelector(), {
      budget,
      context: { layers, seed: 1 },
      finetune: ft,
      onStage: (s: CompressStage) => stages.push(s.stage),
      save: async (_m, plan) => {
        saved = plan;
      },
    });
    expect(stages).toEqual(['selected', 'factorized', 'fine-tuned', 'evaluated', 'saved']);
    expect(r.model).toBe(model);
    expect(saved).toBe(r.plan);
    expect(typeOf(model, 'conv2')).toBe(Tucker2Conv2d);
    expect(r.report.achieved).toBeLessThanOrEqual(budget.target);
    expect(r.report.achievedModel).toBeGreaterThan(r.report.achievedLayers); // conv1, fc2, fc3 stay dense
    expect(r.before?.count).toBe(50);
    expect(r.after?.count).toBe(50);
    expect(r.finetune?.globalStep).toBe(2);
    expect(r.phase).toBeNull();
    expect(r.finetuneMs).toBeGreaterThan(0);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it("runs a selector's training phase (BATUDE) with the fine-tuning schedule and the selector's length", async () => {
    const model = lenetSmall();
    const r = await compress(model, data, batudeSelector({ epochs: 2, hook: { rho: 0.05, updateEvery: 1 } }), {
      budget: { metric: 'macs', target: 0.3 },
      context: { layers },
      finetune: ft,
      evaluate: false,
    });
    expect(r.phase?.globalStep).toBe(4); // 2 epochs of 64 / 32
    expect(r.finetune?.globalStep).toBe(2);
    expect(r.report.method).toBe('batude');
    expect(r.report.achieved).toBeLessThanOrEqual(0.3);
    expect(r.before).toBeNull();
    expect(typeOf(model, 'conv2')).toBe(Tucker2Conv2d);
    model.dispose();
  });

  it("trains a selector's phase on phaseData and lets BATUDE choose λ on context.validation", async () => {
    const model = lenetSmall();
    const held = selectExamples(
      data.train,
      Array.from({ length: 16 }, (_, i) => 48 + i),
    );
    const phaseTrain = selectExamples(
      data.train,
      Array.from({ length: 32 }, (_, i) => i),
    );
    const validation = calibrationOf(held);
    const r = await compress(model, data, batudeSelector({ epochs: 1, hook: { rho: 0.05, updateEvery: 1 } }), {
      budget: { metric: 'macs', target: 0.3 },
      context: { layers, validation },
      finetune: ft,
      phaseData: { train: phaseTrain },
      evaluate: false,
    });
    expect(r.phase?.globalStep).toBe(1); // one epoch of 32 / 32 (the last λ candidate's phase), not 64 / 32
    expect(r.finetune?.globalStep).toBe(2); // fine-tuning still trains on all 64
    expect(r.report.details?.lambdaChosenBy).toBe('validation');
    expect(r.report.details?.lambdaImages).toBe(16);
    expect(r.report.details?.lambdaTrials).toHaveLength(3);
    model.dispose();
    tf.dispose([validation.x, validation.y]);
  });

  it('fine-tunes a TT layer whose chain is dearer than the dense layer on its rebuilt weight, and keeps its saved mode', async () => {
    const model = lenetSmall();
    const seen: string[] = [];
    const fc1 = (): TTLinear => new Map(model.namedModules()).get('fc1') as TTLinear;
    let savedMode: string | null = null;
    const r = await compress(model, data, uniformSelector({ format: 'tt' }), {
      budget: { metric: 'params', target: 0.9 },
      context: { layers: ['fc1'] },
      finetune: {
        ...ft,
        hooks: [{ name: 'probe', afterStep: () => void seen.push(fc1().effectiveMode([256])) }],
      },
      evaluate: false,
      save: async (m) => {
        savedMode = (new Map(m.namedModules()).get('fc1') as TTLinear).mode;
      },
    });
    expect(typeOf(model, 'fc1')).toBe(TTLinear);
    // At 0.9 of fc1's parameters the TT chain costs more MACs than the dense 256 × 120 matMul.
    expect(fc1().cost([256]).macs).toBeGreaterThan(256 * 120);
    expect(seen).toEqual(['reconstructed', 'reconstructed']);
    expect(r.finetune?.globalStep).toBe(2);
    expect(savedMode).toBe('factorized');
    expect(fc1().mode).toBe('factorized');
    model.dispose();
  });

  it('passes calibration to a data-driven selector (LWIQ, TT) and factorize options (ADA init); skips 0 epochs', async () => {
    const cal = calibrationOf(data.train);
    const m1 = lenetSmall();
    const r1 = await compress(m1, data, lwiqSelector(), {
      budget,
      context: { layers, calibration: cal },
      finetune: null,
    });
    expect(typeOf(m1, 'conv2')).toBe(TTConv2d);
    expect(typeOf(m1, 'fc1')).toBe(TTLinear);
    expect(r1.finetune).toBeNull();
    expect(r1.after?.top1).toBe(r1.before?.top1);
    m1.dispose();
    tf.dispose([cal.x, cal.y]);
    const m2 = lenetSmall();
    await compress(m2, data, adaSelector(), {
      budget: { metric: 'params', target: 0.1 },
      finetune: { ...ft, epochs: 0 },
      factorize: { adaInit: 'random' },
      evaluate: { after: false },
    });
    expect(typeOf(m2, 'fc1')).toBe(AdaTuckerLayer);
    m2.dispose();
  });

  it('rejects bad arguments with TnzipError before any work', async () => {
    const m = lenetSmall();
    const opts = { budget, finetune: null };
    expect(await errorCode(() => compress(m, {} as { train: Split }, energySelector(), opts))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => compress(m, data, {} as ReturnType<typeof energySelector>, opts))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      await errorCode(() =>
        compress(m, data, energySelector(), { budget: { metric: 'latency', target: 0.5 }, finetune: null }),
      ),
    ).toBe('INVALID_BUDGET');
    expect(
      await errorCode(() => compress(m, data, energySelector(), { ...opts, phaseData: {} as { train: Split } })),
    ).toBe('INVALID_ARGUMENT');
    expect(typeOf(m, 'conv2')).not.toBe(Tucker2Conv2d);
    m.dispose();
  });
});
