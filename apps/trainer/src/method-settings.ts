import { DEFAULT_KNOBS, METHODS, type MethodKnobs } from './methods.js';

/** `batudeLambda` → `batude-lambda`: a knob's flag name (METHOD_FLAGS). */
export function flagOf(knob: string): string {
  return knob.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The knobs `method` reads that differ from their defaults, as the flags that set them
 * (`--batude-lambda 0 --batude-epochs 5`), in the method's knob order; undefined when every one is
 * at its default (or the method reads none). A results row carries it, so an ablation is a row of
 * its own and names what it changed.
 */
export function methodSettings(method: string, knobs: Partial<MethodKnobs> | undefined): string | undefined {
  const read = METHODS[method]?.knobs ?? [];
  const parts = read
    .filter((k) => knobs?.[k] !== undefined && knobs[k] !== DEFAULT_KNOBS[k])
    .map((k) => `--${flagOf(k)} ${String(knobs?.[k])}`);
  return parts.length === 0 ? undefined : parts.join(' ');
}
