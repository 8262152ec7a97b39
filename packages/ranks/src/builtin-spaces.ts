import { matrixLinearSpace } from './space-matrix.js';
import { ttConvSpace, ttLinearSpace } from './space-tt.js';
import { tucker2ConvSpace } from './space-tucker2.js';

// THE list of built-in rank-space providers. Each provider file registers itself when evaluated;
// layerSpace() calls builtinRankSpaceCount(), a real use of every entry, so a bundler that drops
// unreferenced modules keeps them all. A new built-in provider adds one line here.
const BUILTIN_SPACES: readonly unknown[] = [tucker2ConvSpace, matrixLinearSpace, ttConvSpace, ttLinearSpace];

/** The number of built-in rank-space providers (keeps their registrations in every bundle). */
export function builtinRankSpaceCount(): number {
  return BUILTIN_SPACES.filter((p) => p !== undefined).length;
}
