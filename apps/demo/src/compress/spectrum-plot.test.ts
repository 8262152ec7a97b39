import { describe, expect, it } from 'vitest';
import { spectrumPoints } from './spectrum-plot.js';

describe('spectrumPoints', () => {
  it('puts the largest value at the top, the smallest at the bottom, evenly spaced in x (log scale)', () => {
    expect(spectrumPoints([100, 10, 1], 100, 50, 1, 100)).toBe('0.0,0.0 50.0,25.0 100.0,50.0');
  });
  it('clamps values below the floor to the bottom edge', () => {
    expect(spectrumPoints([10, 0], 10, 10, 1, 10)).toBe('0.0,0.0 10.0,10.0');
  });
});
