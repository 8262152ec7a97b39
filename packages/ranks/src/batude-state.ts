import { TnzipError } from '@tnzip/tensor';
import type { JsonValue } from '@tnzip/train';
import { weightOf } from './batude-admm.js';
import type { RankProblem } from './problem.js';

/** A saved `BatudeHook` state: everything a resumed run needs, as JSON. */
export interface BatudeState {
  rho: number;
  updates: number;
  ranks: number[][] | null;
  /** Per layer, float32 values as numbers (exact round trip). */
  z: Float32Array[] | null;
  u: Float32Array[] | null;
}

const toJson = (xs: Float32Array[] | null): number[][] | null => (xs === null ? null : xs.map((x) => Array.from(x)));

/** `state` as JSON: float32 values as numbers, which round-trip exactly. */
export function batudeStateToJson(state: BatudeState): JsonValue {
  return { ...state, z: toJson(state.z), u: toJson(state.u) } as unknown as JsonValue;
}

function layersFromJson(problem: RankProblem, xs: unknown, what: string): Float32Array[] | null {
  if (xs === null) return null;
  const L = problem.spaces.length;
  if (!Array.isArray(xs) || xs.length !== L)
    throw new TnzipError('CORRUPT_FILE', `batudeHook.loadState: '${what}' must hold ${L} layers`);
  return xs.map((x, l) => {
    const n = weightOf(problem, l).size;
    if (!Array.isArray(x) || x.length !== n)
      throw new TnzipError('CORRUPT_FILE', `batudeHook.loadState: '${what}[${l}]' must hold ${n} numbers`);
    return Float32Array.from(x as number[]);
  });
}

/**
 * Reads a state written by {@link batudeStateToJson} for `problem`.
 * @throws TnzipError CORRUPT_FILE for a state of another shape (layer count, sizes, rank counts)
 */
export function batudeStateFromJson(problem: RankProblem, state: JsonValue): BatudeState {
  const s = state as unknown as { rho: unknown; updates: unknown; ranks: unknown; z: unknown; u: unknown };
  if (s === null || typeof s !== 'object' || typeof s.rho !== 'number' || typeof s.updates !== 'number')
    throw new TnzipError('CORRUPT_FILE', 'batudeHook.loadState: not a BATUDE state { rho, updates, ranks, z, u }');
  const z = layersFromJson(problem, s.z, 'z');
  const u = layersFromJson(problem, s.u, 'u');
  if ((z === null) !== (u === null) || (z === null) !== (s.ranks === null))
    throw new TnzipError('CORRUPT_FILE', 'batudeHook.loadState: z, u and ranks must be all set or all null');
  let ranks: number[][] | null = null;
  if (s.ranks !== null) {
    const L = problem.spaces.length;
    if (!Array.isArray(s.ranks) || s.ranks.length !== L)
      throw new TnzipError('CORRUPT_FILE', `batudeHook.loadState: 'ranks' must hold ${L} layers`);
    ranks = (s.ranks as number[][]).map((r, l) => {
      (problem.spaces[l] as RankProblem['spaces'][number]).plan(r); // validates the count
      return [...r];
    });
  }
  return { rho: s.rho, updates: s.updates, ranks, z, u };
}
