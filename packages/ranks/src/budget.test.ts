import { TnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { type Budget, checkBudget, formatBudget, parseBudget } from './budget.js';

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
});
