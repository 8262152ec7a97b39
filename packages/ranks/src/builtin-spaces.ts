import { registerRankSpace } from './rank-space-registry.js';
import { matrixLinearSpace } from './space-matrix.js';
import { ttConvSpace, ttLinearSpace } from './space-tt.js';
import { tucker2ConvSpace } from './space-tucker2.js';

// THE list of built-in rank-space providers. Each provider file registers itself when evaluated;
// this package is `sideEffects: false`, so layerSpace() also registers the list through
// ensureBuiltinRankSpaces() (idempotent): a bundle that contains layerSpace() contains and
// registers every built-in provider. A new built-in provider adds one line here.
const BUILTIN_SPACES = [tucker2ConvSpace, matrixLinearSpace, ttConvSpace, ttLinearSpace];

/** Registers the built-in rank-space providers (no-op once done); returns how many there are. */
export function ensureBuiltinRankSpaces(): number {
  for (const p of BUILTIN_SPACES) registerRankSpace(p);
  return BUILTIN_SPACES.length;
}
