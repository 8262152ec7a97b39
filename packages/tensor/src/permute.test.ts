import { describe, expect, it } from 'vitest';
import { permute64, permuteData64, Rng, TnzipError } from './index.js';

describe('permute64', () => {
  it('matches index arithmetic for a 4-axis tensor and inverts with the inverse permutation', () => {
    const shape = [2, 3, 4, 5];
    const data = new Rng(3).normals(120);
    const perm = [2, 0, 3, 1];
    const y = permute64({ shape, data }, perm);
    expect(y.shape).toEqual([4, 2, 5, 3]);
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 4; c++)
          for (let d = 0; d < 5; d++) {
            // out[c, a, d, b] = in[a, b, c, d]
            expect(y.data[((c * 2 + a) * 5 + d) * 3 + b]).toBe(data[((a * 3 + b) * 4 + c) * 5 + d]);
          }
    const inverse = [1, 3, 0, 2];
    expect(Array.from(permuteData64(y.data, y.shape, inverse))).toEqual(Array.from(data));
  });

  it('rejects a wrong-length buffer and a non-permutation', () => {
    expect(() => permuteData64(new Float64Array(5), [2, 3], [1, 0])).toThrow(TnzipError);
    expect(() => permuteData64(new Float64Array(6), [2, 3], [0, 0])).toThrow(/perm must be a permutation/);
  });
});
