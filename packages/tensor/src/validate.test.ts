import { describe, expect, it } from 'vitest';
import { TnzipError } from './errors.js';
import { checkInt, checkNumber, checkOneOf } from './validate.js';

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): TnzipError {
  try {
    fn();
  } catch (e) {
    return e as TnzipError;
  }
  throw new Error('expected a throw');
}

describe('argument checks', () => {
  it('checkOneOf returns an allowed value and names the parameter, the allowed values and the value otherwise', () => {
    const kinds = ['tucker2', 'tt'] as const;
    expect(checkOneOf('tt', 'options.format', kinds)).toBe('tt');
    for (const bad of ['TT', '', 3, undefined, null, { kind: 'tt' }]) {
      const e = thrown(() => checkOneOf(bad, 'options.format', kinds));
      expect(e).toBeInstanceOf(TnzipError);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toBe(`options.format must be one of tucker2, tt, got ${JSON.stringify(bad)}`);
    }
  });

  it('checkInt and checkNumber state the allowed range', () => {
    expect(thrown(() => checkInt(2.5, 'workers', 1, 16)).message).toBe(
      'workers must be an integer in [1, 16], got 2.5',
    );
    expect(thrown(() => checkInt(0, 'epochs', 1)).message).toBe('epochs must be an integer >= 1, got 0');
    expect(thrown(() => checkNumber(Number.NaN, 'lr', 0, 10)).message).toBe(
      'lr must be a finite number in [0, 10], got NaN',
    );
    expect(() => checkInt(16, 'workers', 1, 16)).not.toThrow();
    expect(() => checkNumber(0, 'lr', 0, 10)).not.toThrow();
  });
});
