import { TnzipError } from '@tnzip/tensor';

/** A concrete tfjs backend tnzip can run on. */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** What {@link useBackend} accepts: a concrete backend, or `auto` to pick the fastest available. */
export type BackendChoice = 'auto' | BackendName;

/** Every accepted choice, in `auto`'s order of preference after `auto` itself. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm', 'cpu'];

/**
 * Validates a backend name (from a flag, an environment variable or user code).
 * Surrounding whitespace and case are ignored.
 *
 * @param source names where the value came from in the error message (e.g. `TNZIP_BACKEND`).
 * @throws TnzipError `INVALID_ARGUMENT` listing the allowed values.
 */
export function parseBackendChoice(value: string, source = 'backend'): BackendChoice {
  const v = value.trim().toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new TnzipError(
    'INVALID_ARGUMENT',
    `${source}: unknown backend '${value}' (allowed: ${BACKEND_CHOICES.join(', ')})`,
  );
}

/**
 * The backend chosen by the `TNZIP_BACKEND` environment variable, or `fallback` when it is
 * unset or empty. Outside Node (no `process.env`) it returns `fallback`.
 *
 * @throws TnzipError `INVALID_ARGUMENT` when the variable holds an unknown name.
 */
export function backendFromEnv(
  fallback: BackendChoice = 'auto',
  env: Record<string, string | undefined> | undefined = globalThis.process?.env,
): BackendChoice {
  const raw = env?.TNZIP_BACKEND;
  if (raw === undefined || raw.trim() === '') return fallback;
  return parseBackendChoice(raw, 'TNZIP_BACKEND');
}
