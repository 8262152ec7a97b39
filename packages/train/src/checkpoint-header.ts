import { TnzipError } from '@tnzip/tensor';
import type { JsonValue } from './hooks.js';
import type { MetricsRecord } from './metrics.js';

/** The JSON part of a checkpoint (everything but the tensors). */
export interface CheckpointState {
  /** Epoch to run next (0-based); equals the epoch count when training finished. */
  readonly epoch: number;
  /** First batch of `epoch` still to run (0 at an epoch boundary). */
  readonly stepInEpoch: number;
  /** Steps completed over the whole run. */
  readonly globalStep: number;
  /** Optimizer kind and step counter (its slots are tensors). */
  readonly optimizer: { readonly kind: string; readonly step: number };
  /** The trainer's Rng state. */
  readonly rng: readonly [number, number, number, number];
  /** `TrainHook.state()` by hook name. */
  readonly hooks: Readonly<Record<string, JsonValue>>;
  /** Training sums of the current epoch so far: loss·count, correct, count. */
  readonly epochSums: { readonly loss: number; readonly correct: number; readonly count: number };
  /**
   * `Module.getState()` of every module that has state (Dropout's call counter), by module path.
   * Version-1 files stored Dropout counters as `dropoutCalls: { path: n }`; they read as `{ path: { calls: n } }`.
   */
  readonly moduleStates: Readonly<Record<string, JsonValue>>;
  /** Every metrics line logged so far (metrics.jsonl is rewritten from these on resume). */
  readonly metrics: readonly MetricsRecord[];
  /** The options that must not change on resume. */
  readonly fingerprint: Readonly<Record<string, JsonValue>>;
}

/** Where one tensor's float32 data lies in the data section (byte offset, 4-aligned). */
export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

/** A checkpoint header: the state and the tensor table. */
export interface CheckpointHeader {
  readonly state: CheckpointState;
  readonly tensors: readonly TensorEntry[];
  readonly dataByteLength: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** The numeric fields of each metrics line type (`?`: optional). */
const RECORD_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries({
    step: ['epoch', 'step', 'globalStep', 'loss', 'accuracy', 'lr', 'imgPerSec'],
    epoch: [
      'epoch',
      'globalStep',
      'trainLoss',
      'trainAcc',
      'lr',
      'imgPerSec',
      'seconds',
      ...optional('val'),
      ...optional('test'),
    ],
    error: ['epoch', 'step', 'globalStep'],
  }),
);

function optional(split: string): string[] {
  return ['Acc', 'Top5', 'Loss'].map((k) => `${split}${k}?`);
}

/**
 * Checks the decoded header JSON field by field, so that a file whose bytes were edited (and whose
 * hash was then recomputed) still cannot hand the loop a non-number step, a shape that does not fit
 * the data or an out-of-range tensor offset. `version` 1 files are converted (`dropoutCalls`).
 *
 * @throws TnzipError `CORRUPT_FILE` naming `source` and the first bad field.
 */
export function parseCheckpointHeader(
  json: unknown,
  dataLength: number,
  source: string,
  version: number,
): CheckpointHeader {
  const bad = (field: string, why: string): TnzipError =>
    new TnzipError('CORRUPT_FILE', `${source}: header field '${field}' ${why}`);
  if (!isObj(json)) throw bad('(root)', 'is not an object');
  if (json.dataByteLength !== dataLength)
    throw bad('dataByteLength', `is ${JSON.stringify(json.dataByteLength)}, the file holds ${dataLength} data bytes`);
  const tensors = parseTensorTable(json.tensors, dataLength, bad);
  return { state: parseState(json.state, version, bad), tensors, dataByteLength: dataLength };
}

type Bad = (field: string, why: string) => TnzipError;

function parseTensorTable(v: unknown, dataLength: number, bad: Bad): TensorEntry[] {
  if (!Array.isArray(v)) throw bad('tensors', 'is not an array');
  const names = new Set<string>();
  return v.map((e: unknown, i): TensorEntry => {
    const f = `tensors[${i}]`;
    if (!isObj(e) || typeof e.name !== 'string' || names.has(e.name)) throw bad(f, 'needs a unique string name');
    names.add(e.name);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every(isCount))
      throw bad(`${f}.shape`, 'must be at most 8 integers >= 0');
    const bytes = 4 * shape.reduce((a: number, b: number) => a * b, 1);
    if (!isCount(e.offset) || e.offset % 4 !== 0 || e.offset + bytes > dataLength)
      throw bad(
        `${f}.offset`,
        `(${JSON.stringify(e.offset)}, ${bytes} bytes) lies outside the ${dataLength} data bytes`,
      );
    return { name: e.name, shape: shape as number[], offset: e.offset };
  });
}

function parseState(s: unknown, version: number, bad: Bad): CheckpointState {
  if (!isObj(s)) throw bad('state', 'is not an object');
  for (const k of ['epoch', 'stepInEpoch', 'globalStep'] as const)
    if (!isCount(s[k])) throw bad(`state.${k}`, `must be an integer >= 0, got ${JSON.stringify(s[k])}`);
  const opt = s.optimizer;
  if (!isObj(opt) || typeof opt.kind !== 'string' || !isCount(opt.step))
    throw bad('state.optimizer', 'must be { kind: string, step: integer >= 0 }');
  const rng = s.rng;
  if (
    !Array.isArray(rng) ||
    rng.length !== 4 ||
    !rng.every((x) => isCount(x) && x <= 0xffffffff) ||
    rng.every((x) => x === 0)
  )
    throw bad('state.rng', 'must be 4 uint32 words, not all 0');
  const sums = s.epochSums;
  if (
    !isObj(sums) ||
    !isFiniteNum(sums.loss) ||
    !isCount(sums.correct) ||
    !isCount(sums.count) ||
    sums.correct > sums.count
  )
    throw bad('state.epochSums', 'must be { loss: finite, correct <= count: integers >= 0 }');
  const moduleStates = version === 1 ? fromDropoutCalls(s.dropoutCalls, bad) : s.moduleStates;
  for (const k of ['hooks', 'fingerprint'] as const) if (!isObj(s[k])) throw bad(`state.${k}`, 'is not an object');
  if (!isObj(moduleStates)) throw bad('state.moduleStates', 'is not an object');
  const metrics = s.metrics;
  if (!Array.isArray(metrics)) throw bad('state.metrics', 'is not an array');
  for (const [i, m] of metrics.entries()) checkRecord(m, `state.metrics[${i}]`, bad);
  return {
    epoch: s.epoch as number,
    stepInEpoch: s.stepInEpoch as number,
    globalStep: s.globalStep as number,
    optimizer: { kind: opt.kind, step: opt.step },
    rng: rng as [number, number, number, number],
    hooks: s.hooks as Record<string, JsonValue>,
    epochSums: { loss: sums.loss, correct: sums.correct, count: sums.count },
    moduleStates: moduleStates as Record<string, JsonValue>,
    metrics: metrics as MetricsRecord[],
    fingerprint: s.fingerprint as Record<string, JsonValue>,
  };
}

/** A metrics line: its type, and every number it holds finite (a resumed run returns and prints them). */
function checkRecord(m: unknown, field: string, bad: Bad): void {
  const fields = isObj(m) && typeof m.type === 'string' ? RECORD_FIELDS.get(m.type) : undefined;
  if (!isObj(m) || fields === undefined) throw bad(field, "must be a { type: 'step' | 'epoch' | 'error', … } line");
  for (const f of fields) {
    const key = f.endsWith('?') ? f.slice(0, -1) : f;
    if (key !== f && m[key] === undefined) continue;
    if (!isFiniteNum(m[key])) throw bad(`${field}.${key}`, `must be a finite number, got ${JSON.stringify(m[key])}`);
  }
  if (m.type === 'error' && (typeof m.code !== 'string' || typeof m.message !== 'string'))
    throw bad(field, 'an error line needs string code and message');
}

function fromDropoutCalls(v: unknown, bad: Bad): Record<string, JsonValue> {
  if (!isObj(v)) throw bad('state.dropoutCalls', 'is not an object');
  const out: Record<string, JsonValue> = {};
  for (const [p, n] of Object.entries(v)) {
    if (!isCount(n)) throw bad(`state.dropoutCalls.${p}`, 'must be an integer >= 0');
    out[p] = { calls: n };
  }
  return out;
}
