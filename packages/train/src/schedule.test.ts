import { describe, expect, it } from 'vitest';
import { checkLrPlan, type LrPlan, learningRate } from './schedule.js';

const base = { lr: 0.1, warmupSteps: 0, totalSteps: 100, stepsPerEpoch: 10 };

describe('learning-rate schedules', () => {
  it('constant, with a linear warm-up', () => {
    const p: LrPlan = { ...base, schedule: { kind: 'constant' }, warmupSteps: 4 };
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((lr, i) => {
      expect(learningRate(p, [0, 1, 2, 3, 4, 99][i] as number)).toBeCloseTo(lr, 15);
    });
  });

  it('cosine: lr at the start, the mean of lr and minLr half-way, near minLr at the end', () => {
    const p: LrPlan = { ...base, schedule: { kind: 'cosine', minLr: 0.01 } };
    expect(learningRate(p, 0)).toBeCloseTo(0.1, 12);
    expect(learningRate(p, 50)).toBeCloseTo(0.055, 12);
    expect(learningRate(p, 99)).toBeCloseTo(0.01 + 0.09 * (1 + Math.cos(Math.PI * 0.99)) * 0.5, 12);
    // after a warm-up of 20 steps the cosine spans the remaining 80
    const w: LrPlan = { ...p, warmupSteps: 20 };
    expect(learningRate(w, 19)).toBeCloseTo(0.1, 12);
    expect(learningRate(w, 60)).toBeCloseTo(0.055, 12);
  });

  it('step: multiplied by gamma at each milestone epoch', () => {
    const p: LrPlan = { ...base, schedule: { kind: 'step', milestones: [3, 6], gamma: 0.5 } };
    expect([0, 29, 30, 59, 60, 99].map((s) => learningRate(p, s))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('rejects unknown kinds and bad fields', () => {
    expect(() => checkLrPlan({ ...base, schedule: { kind: 'linear' } as never })).toThrow(
      /'constant', 'cosine' or 'step'/,
    );
    expect(() => checkLrPlan({ ...base, schedule: { kind: 'step', milestones: [0] } })).toThrow(/milestones\[0\]/);
    expect(() => checkLrPlan({ ...base, schedule: { kind: 'cosine', minLr: 1 } })).toThrow(/minLr/);
    expect(() => checkLrPlan({ ...base, schedule: { kind: 'constant' }, warmupSteps: -1 })).toThrow(/warmupSteps/);
  });
});
