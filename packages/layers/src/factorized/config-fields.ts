import { TnzipError } from '@tnzip/tensor';

/* Typed reads of a module config from a model file (CORRUPT_FILE on a missing or mistyped field). */

/** Whether `v` is a plain object (a config record to read fields from). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads a required field of a config (CORRUPT_FILE when absent or of the wrong type). */
export function field<T>(
  config: Record<string, unknown>,
  key: string,
  check: (v: unknown) => boolean,
  what: string,
): T {
  const v = config[key];
  if (!check(v)) {
    throw new TnzipError(
      'CORRUPT_FILE',
      `${String(config.kind)} config '${String(config.name)}': field '${key}' must be ${what}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

export const isInt = (v: unknown): boolean => Number.isInteger(v);

export const isIntList = (v: unknown): boolean =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x) && (x as number) >= 1);

export const isPair = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) >= 1);

export const isBool = (v: unknown): boolean => typeof v === 'boolean';

export const isString = (v: unknown): boolean => typeof v === 'string';

export const isPadding = (v: unknown): boolean =>
  v === 'same' ||
  v === 'valid' ||
  (Number.isInteger(v) && (v as number) >= 0) ||
  (Array.isArray(v) &&
    v.length === 2 &&
    v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && (x as number) >= 0)));

export const isMode = (v: unknown): boolean => v === 'factorized' || v === 'reconstructed' || v === 'auto';
