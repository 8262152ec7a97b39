import { factorize, storageBytes } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { adaSelector, scadaSelector } from './ada-select.js';
import { type Budget, checkBudget, formatBudget, parseBudget } from './budget.js';
import { errorCode } from './budget-check.test-util.js';
import { energySelector } from './energy.js';
import { lenetSmall } from './models.test-util.js';
import { uniformSelector } from './uniform.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  return 'no error';
}

describe('budgets', () => {
  it('parse fractions and reduction factors', () => {
    expect(parseBudget('0.25')).toEqual({ metric: 'params', target: 0.25 });
    expect(parseBudget('4x', 'macs')).toEqual({ metric: 'macs', target: 0.25 });
    expect(parseBudget(' 1 ')).toEqual({ metric: 'params', target: 1 });
    expect(parseBudget('1x').target).toBe(1);
    expect(parseBudget('2.5X').target).toBeCloseTo(0.4, 15);
    expect(formatBudget({ metric: 'params', target: 0.25 })).toBe('4x params');
  });

  it('reject 0, 1.5, NaN, abc, factors below 1 and unknown metrics with INVALID_BUDGET', () => {
    for (const text of ['0', '1.5', 'NaN', 'abc', '', '-0.5', '0.5x', '0x', 'x', '4xx', 'Infinity', '1e400x']) {
      expect(
        code(() => parseBudget(text)),
        text,
      ).toBe('INVALID_BUDGET');
    }
    expect(() => parseBudget('1e400x')).toThrow("--budget '1e400x': a reduction factor must be a finite number >= 1");
    expect(code(() => parseBudget('0.5', 'flops' as Budget['metric']))).toBe('INVALID_BUDGET');
    const bad: unknown[] = [
      { metric: 'params', target: 0 },
      { metric: 'params', target: 1.5 },
      { metric: 'params', target: Number.NaN },
      { metric: 'params', target: 'abc' },
      { metric: 'params', target: Number.POSITIVE_INFINITY },
      { metric: 'params', target: -0.1 },
      { metric: 'flops', target: 0.5 },
      { metric: 'params', target: 0.5, scope: 'net' },
      { target: 0.5 },
      null,
      '0.5',
    ];
    for (const b of bad)
      expect(
        code(() => checkBudget(b as Budget)),
        JSON.stringify(b),
      ).toBe('INVALID_BUDGET');
    expect(checkBudget({ metric: 'macs', target: 1 })).toEqual({ metric: 'macs', target: 1 });
  });

  it('name the argument in the message', () => {
    expect(() => parseBudget('abc', 'params', '--budget')).toThrow(/--budget 'abc'/);
    expect(() => checkBudget({ metric: 'params', target: 2 }, 'b')).toThrow(/b\.target must be a number in \(0, 1\]/);
  });

  it("'latency': parsed for latencySelector, rejected by the selectors' own checkBudget", () => {
    expect(parseBudget('2x', 'latency', '--budget', 'model')).toEqual({
      metric: 'latency',
      target: 0.5,
      scope: 'model',
    });
    expect(() => checkBudget({ metric: 'latency', target: 0.5 })).toThrow(/planned by latencySelector/);
    expect(code(() => parseBudget('0x', 'latency'))).toBe('INVALID_BUDGET');
  });

  it("plan 'storage' as the exactly equivalent params budget: 4/bytes-per-element more elements at uint8", () => {
    const b = parseBudget('691x', 'storage', '--budget', 'model', 'uint8');
    expect(b).toEqual({ metric: 'storage', target: 1 / 691, scope: 'model', storage: 'uint8' });
    const checked = checkBudget(b);
    expect(checked).toEqual({ metric: 'params', target: 4 / 691, scope: 'model', storage: 'uint8' });
    // Re-checking a checked budget changes nothing (the pipeline checks more than once).
    expect(checkBudget(checked)).toEqual(checked);
    expect(checkBudget({ metric: 'storage', target: 0.25 })).toEqual({
      metric: 'params',
      target: 0.25,
      storage: 'float32',
    });
    // 2x the float32 bytes at uint8 is more than the dense model needs: every element may stay.
    expect(checkBudget({ metric: 'storage', target: 0.5, storage: 'uint8' }).target).toBe(1);
    expect(parseBudget('4x', 'params', '--budget', undefined, 'uint8')).toEqual({ metric: 'params', target: 0.25 });
    expect(formatBudget(b)).toBe('691x storage (uint8) (whole model)');
    const bad = { metric: 'storage', target: 0.5, storage: 'float16x' } as unknown as Budget;
    expect(code(() => checkBudget(bad))).toBe('INVALID_BUDGET');
    expect(() => checkBudget(bad)).toThrow(/^budget\.storage must be one of float32, uint8, got "float16x"$/);
    expect(code(() => checkBudget({ metric: 'macs', target: 0.5, storage: 'uint8' }))).toBe('INVALID_BUDGET');
  });
});

describeBackends('budget scope', () => {
  it("scope 'model': the whole model meets the target, the uncompressed layers counted at their cost", async () => {
    const model = lenetSmall();
    const context = { inputShape: [28, 28, 1], layers: ['conv2', 'fc1'] };
    const whole = model.cost(context.inputShape).params;
    for (const selector of [energySelector(), uniformSelector({ format: 'tt' }), adaSelector()]) {
      const { report } = await selector.select(model, { metric: 'params', target: 0.5, scope: 'model' }, context);
      expect(report.model.dense.params).toBe(whole);
      expect(report.achieved).toBe(report.achievedModel);
      expect(report.achievedModel).toBeLessThanOrEqual(0.5);
      expect(report.achievedModel).toBeGreaterThan(0.45); // spent, not starved
      expect(report.model.dense.params - report.model.planned.params).toBe(report.dense.params - report.planned.params);
      const layersOnly = await selector.select(model, { metric: 'params', target: 0.5 }, context);
      expect(layersOnly.report.achieved).toBe(layersOnly.report.achievedLayers);
    }
    // conv1, fc2 and fc3 alone are above 10 % of the model: a 10x whole-model target is unreachable.
    for (const selector of [energySelector(), adaSelector()])
      expect(
        await errorCode(() => selector.select(model, { metric: 'params', target: 0.1, scope: 'model' }, context)),
      ).toBe('INVALID_BUDGET');
    await expect(
      (async () => uniformSelector().select(model, { metric: 'params', target: 0.1, scope: 'model' }, context))(),
    ).rejects.toThrow(/layers left uncompressed/);
    expect(formatBudget({ metric: 'params', target: 0.25, scope: 'model' })).toBe('4x params (whole model)');
    model.dispose();
  });

  it('a uint8 storage budget lands within 5 % of its ratio in the bytes weights.bin would hold (ADA, SCADA)', async () => {
    const context = { inputShape: [28, 28, 1] };
    for (const [selector, kind] of [
      [adaSelector(), 'ada-tucker'],
      [scadaSelector(), 'scada-tucker'],
    ] as const) {
      const model = lenetSmall();
      const denseBytes = storageBytes(model, 'float32');
      const budget = parseBudget('50x', 'storage', '--budget', 'model', 'uint8');
      const { plan, report } = await selector.select(model, budget, context);
      expect(Object.values(plan).every((p) => p.kind === kind)).toBe(true);
      expect(Object.keys(plan)).toHaveLength(5); // every layer, conv1 and the classifier too
      factorize(model, plan);
      const bytes = storageBytes(model, 'uint8');
      expect(report.model.planned.params).toBe(bytes); // one byte per stored element
      const ratio = denseBytes / bytes;
      expect(ratio, kind).toBeGreaterThanOrEqual(50);
      expect(ratio, kind).toBeLessThanOrEqual(50 * 1.05);
      model.dispose();
    }
  });

  it('plans a storage budget exactly as its params equivalent (every choice of the selector, dims included)', async () => {
    const context = { inputShape: [28, 28, 1] };
    for (const [selector, factor] of [
      [adaSelector(), 200],
      [scadaSelector(), 200],
      [energySelector(), 10],
    ] as const) {
      const model = lenetSmall();
      const budget = parseBudget(`${factor}x`, 'storage', '--budget', 'model', 'uint8');
      const storage = await selector.select(model, budget, context);
      const params = await selector.select(model, { metric: 'params', target: 4 / factor, scope: 'model' }, context);
      expect(storage.plan, selector.name).toEqual(params.plan);
      model.dispose();
    }
  });
});
