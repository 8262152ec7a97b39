import { describe, expect, it } from 'vitest';
import { movingAverage } from './moving-average.js';

describe('movingAverage', () => {
  it('averages 2h+1 centred neighbours, shrinking the window symmetrically at the ends', () => {
    const v = [1, 2, 6, 3, 8, 4];
    expect(movingAverage(v, 1)).toEqual([1, 3, 11 / 3, 17 / 3, 5, 4]);
    // h = 2: the middle points see five neighbours, the second point three, the ends themselves.
    expect(movingAverage(v, 2)).toEqual([1, 3, 4, 23 / 5, 5, 4]);
  });

  it('keeps a constant and a straight line unchanged (a centred window does not lag)', () => {
    expect(movingAverage([5, 5, 5, 5], 3)).toEqual([5, 5, 5, 5]);
    const line = [0, 1, 2, 3, 4, 5, 6];
    expect(movingAverage(line, 2).map((x) => Math.round(x * 1e12) / 1e12)).toEqual(line);
  });

  it('returns a copy for a half-window of 0 and an empty array for no values', () => {
    expect(movingAverage([3, 1, 2], 0)).toEqual([3, 1, 2]);
    expect(movingAverage([], 4)).toEqual([]);
  });
});
