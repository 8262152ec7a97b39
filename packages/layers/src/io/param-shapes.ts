import { TnzipError } from '@tnzip/tensor';
import type { ModuleConfig } from '../module.js';

/**
 * What a module kind allocates, read from its config alone (no tensor is built):
 * `stored` — its own parameters and stored buffers by key (`'weight'`, or `'sharedCore.core'`
 * for a child the config does not list), in the order of `storedVariables`; `derivedElements` —
 * float32 elements of buffers rebuilt from the parameters and never stored (caches).
 */
export interface ParamShapes {
  readonly stored: ReadonlyArray<readonly [string, readonly number[]]>;
  readonly derivedElements?: number;
}

/** Reports {@link ParamShapes} from a config; throws CORRUPT_FILE for a malformed field. */
export type ParamShapeReporter = (config: ModuleConfig) => ParamShapes;

const reporters = new Map<string, ParamShapeReporter>();

/**
 * Registers the parameter-shape reporter of a module kind. `load` compares the shapes it reports
 * with the weights manifest BEFORE building anything, so that a model file cannot make the loader
 * allocate more than its `weights.bin` implies. A kind without a reporter is built unchecked
 * (trusted code: third-party kinds should register one).
 */
export function registerParamShapes(kind: string, reporter: ParamShapeReporter): void {
  reporters.set(kind, reporter);
}

/** The largest dimension a model file may declare (2^31 − 1). */
export const MAX_DIM = 0x7fffffff;
/** The deepest module nesting a model file may declare. */
export const MAX_DEPTH = 64;

/** Every stored variable of an architecture by state-dict path, plus its derived elements. */
export interface ArchitectureShapes {
  readonly stored: ReadonlyMap<string, readonly number[]>;
  readonly derivedElements: number;
}

const isConfig = (v: unknown): v is ModuleConfig =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  typeof (v as Record<string, unknown>).kind === 'string' &&
  typeof (v as Record<string, unknown>).name === 'string';

/** Nested module configs of a config: fields holding a config or a list of configs. */
const isGraphNode = (v: unknown): v is { module: ModuleConfig } =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && isConfig((v as Record<string, unknown>).module);

function childConfigs(config: ModuleConfig): ModuleConfig[] {
  const out: ModuleConfig[] = [];
  for (const [key, v] of Object.entries(config)) {
    if (key === 'kind' || key === 'name') continue;
    if (isConfig(v)) out.push(v);
    else if (Array.isArray(v))
      for (const c of v) {
        if (isConfig(c)) out.push(c);
        else if (isGraphNode(c)) out.push(c.module); // a Graph's { inputs, module } node
      }
  }
  return out;
}

/**
 * Walks an architecture config and collects the shapes its kinds report, without building it.
 * Returns null when some kind has no reporter. CORRUPT_FILE (naming `model.json`) for a layer
 * name that is empty, contains '.' or repeats among siblings, nesting deeper than
 * {@link MAX_DEPTH}, or a field a reporter rejects.
 */
export function architectureShapes(root: ModuleConfig): ArchitectureShapes | null {
  const stored = new Map<string, readonly number[]>();
  let derived = 0;
  let complete = true;
  const walk = (config: ModuleConfig, path: string, depth: number): void => {
    if (depth > MAX_DEPTH)
      throw new TnzipError('CORRUPT_FILE', `model.json: architecture nests deeper than ${MAX_DEPTH} modules`);
    const reporter = reporters.get(config.kind);
    if (reporter === undefined) complete = false;
    else {
      const shapes = reporter(config);
      for (const [key, shape] of shapes.stored) stored.set(path === '' ? key : `${path}.${key}`, shape);
      derived += shapes.derivedElements ?? 0;
    }
    const names = new Set<string>();
    for (const child of childConfigs(config)) {
      if (child.name === '' || child.name.includes('.'))
        throw new TnzipError(
          'CORRUPT_FILE',
          `model.json: layer name ${JSON.stringify(child.name)} under '${path}' must be non-empty and without '.'`,
        );
      if (names.has(child.name))
        throw new TnzipError(
          'CORRUPT_FILE',
          `model.json: two layers under '${path === '' ? config.name : path}' are named '${child.name}' (names must be unique)`,
        );
      names.add(child.name);
      walk(child, path === '' ? child.name : `${path}.${child.name}`, depth + 1);
    }
  };
  walk(root, '', 0);
  return complete ? { stored, derivedElements: derived } : null;
}

/** Reads a dimension field: an integer in [min, {@link MAX_DIM}]; CORRUPT_FILE naming model.json. */
export function dimField(config: ModuleConfig, key: string, min = 1): number {
  return checkDim(config[key], config, key, min);
}

/** Reads a list of dimensions (each in [1, {@link MAX_DIM}], at most {@link MAX_DEPTH} entries). */
export function dimListField(config: ModuleConfig, key: string): number[] {
  const v = config[key];
  if (!Array.isArray(v) || v.length > MAX_DEPTH)
    throw badField(config, key, `a list of at most ${MAX_DEPTH} integers`, v);
  return v.map((d, i) => checkDim(d, config, `${key}[${i}]`, 1));
}

/** Reads a `number | [number, number]` field (kernel sizes). */
export function pairField(config: ModuleConfig, key: string): [number, number] {
  const v = config[key];
  if (Array.isArray(v) && v.length === 2)
    return [checkDim(v[0], config, `${key}[0]`, 1), checkDim(v[1], config, `${key}[1]`, 1)];
  const d = checkDim(v, config, key, 1);
  return [d, d];
}

function checkDim(v: unknown, config: ModuleConfig, key: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_DIM)
    throw badField(config, key, `an integer in [${min}, ${MAX_DIM}]`, v);
  return v;
}

function badField(config: ModuleConfig, key: string, what: string, v: unknown): TnzipError {
  return new TnzipError(
    'CORRUPT_FILE',
    `model.json: layer '${config.name}' (${config.kind}): field '${key}' must be ${what}, got ${JSON.stringify(v) ?? String(v)}`,
  );
}
