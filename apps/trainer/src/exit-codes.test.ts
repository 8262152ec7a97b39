import { TnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, FileError, oneLine, UsageError } from './exit-codes.js';

describe('exitCodeOf', () => {
  it('maps usage, file and runtime problems to 2, 3 and 1', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new FileError('x'))).toBe(3);
    expect(exitCodeOf(new TnzipError('INVALID_BUDGET', 'x'))).toBe(2);
    expect(exitCodeOf(new TnzipError('INVALID_ARGUMENT', 'x'))).toBe(2);
    expect(exitCodeOf(new TnzipError('NOT_FOUND', 'x'))).toBe(3);
    expect(exitCodeOf(new TnzipError('CORRUPT_FILE', 'x'))).toBe(3);
    expect(exitCodeOf(new TnzipError('IO_ERROR', 'x'))).toBe(3);
    expect(exitCodeOf(new TnzipError('NON_FINITE', 'x'))).toBe(1);
    expect(exitCodeOf(new TnzipError('BACKEND_UNAVAILABLE', 'x'))).toBe(1);
    expect(exitCodeOf(Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/x' }))).toBe(3);
    expect(exitCodeOf(new TypeError('bug'))).toBe(1);
  });

  it('folds a multi-line message into one line', () => {
    expect(oneLine(new Error('a\n  b\nc'))).toBe('a b c');
  });
});
