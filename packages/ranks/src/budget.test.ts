import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { adaSelector } from './ada-select.js';
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
    for (const text of ['0', '1.5', 'NaN', 'abc', '', '-0.5', '0.5x', '0x', 'x', '4xx', 'Infinity']) {
      expect(
        code(() => parseBudget(text)),
        text,
      ).toBe('INVALID_BUDGET');
    }
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

  it("reserve 'storage': rejected with a message saying it is not supported yet", () => {
    for (const metric of ['storage'] as const) {
      expect(code(() => checkBudget({ metric, target: 0.5 }))).toBe('INVALID_BUDGET');
      expect(() => parseBudget('4x', metric)).toThrow(new RegExp(`'${metric}' is reserved but not supported yet`));
    }
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
});
