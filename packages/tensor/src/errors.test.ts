import { describe, expect, it } from 'vitest';
import { isTnzipError, isTnzipErrorCode, TNZIP_ERROR_CODES, TnzipError } from './errors.js';

describe('TnzipError codes', () => {
  it('isTnzipErrorCode accepts exactly the listed codes (e.g. a code that crossed a worker boundary)', () => {
    for (const code of TNZIP_ERROR_CODES) expect(isTnzipErrorCode(code)).toBe(true);
    for (const other of ['invalid_argument', 'ERR_WORKER_PATH', '', undefined, null, 3]) {
      expect(isTnzipErrorCode(other)).toBe(false);
    }
    expect(new Set(TNZIP_ERROR_CODES).size).toBe(TNZIP_ERROR_CODES.length);
  });

  it('isTnzipError matches the class and, when given, the code', () => {
    const e = new TnzipError('NOT_FOUND', 'x');
    expect(isTnzipError(e)).toBe(true);
    expect(isTnzipError(e, 'NOT_FOUND')).toBe(true);
    expect(isTnzipError(e, 'IO_ERROR')).toBe(false);
    expect(isTnzipError(new Error('x'))).toBe(false);
  });
});
