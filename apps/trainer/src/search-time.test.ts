import type { SelectionReport } from '@tnzip/ranks';
import { describe, expect, it } from 'vitest';
import { searchSecondsOf } from './search-time.js';

const report = (searchMs: number, details?: Record<string, unknown>): SelectionReport =>
  ({ searchMs, ...(details === undefined ? {} : { details }) }) as unknown as SelectionReport;

describe('searchSecondsOf', () => {
  it("adds LWIQ's scoring pass to its planning, and nothing else", () => {
    expect(searchSecondsOf(report(7, { scoreMs: 68 }))).toBeCloseTo(0.075, 12);
    expect(searchSecondsOf(report(5172))).toBeCloseTo(5.172, 12);
    expect(searchSecondsOf(report(9, { scoreMs: 'n/a', scoresCached: true }))).toBeCloseTo(0.009, 12);
  });
});
