import { describe, expect, it } from 'vitest';
import { describePlan, planRanks } from './plan-ranks.js';

describe('planRanks / describePlan', () => {
  it('lists the ranks of each plan kind in order, and none for a dense plan', () => {
    expect(planRanks({ kind: 'tucker2', rankS: 12, rankT: 20 })).toEqual([12, 20]);
    expect(planRanks({ kind: 'tucker2', rankS: null, rankT: 7 })).toEqual([7]);
    expect(planRanks({ kind: 'cp', rank: 5 })).toEqual([5]);
    expect(planRanks({ kind: 'tt', rowDims: [8, 100], colDims: [5, 100], ranks: [9] })).toEqual([9]);
    expect(planRanks({ kind: 'dense' })).toEqual([]);
    expect(describePlan({ kind: 'tucker2', rankS: 12, rankT: 20 })).toBe('tucker2 (12, 20)');
    expect(describePlan({ kind: 'dense' })).toBe('dense');
  });
});
