import { TnzipError } from '@tnzip/tensor';
import type { Module, ModuleConfig } from './module.js';

/** Rebuilds a module (with freshly initialized weights) from its {@link ModuleConfig}. */
export type ModuleFactory = (config: ModuleConfig) => Module;

const factories = new Map<string, ModuleFactory>();

/**
 * Registers the factory for a module kind. Every layer file registers its own kind at load
 * time; third-party layers call this before loading a model file that uses them.
 */
export function registerModule(kind: string, factory: ModuleFactory): void {
  factories.set(kind, factory);
}

/** Builds a module from its config; NOT_FOUND for a kind nobody registered. */
export function createModule(config: ModuleConfig): Module {
  if (config === null || typeof config !== 'object' || typeof config.kind !== 'string') {
    throw new TnzipError('CORRUPT_FILE', 'module config must be an object with a string `kind`');
  }
  const f = factories.get(config.kind);
  if (f === undefined) {
    throw new TnzipError(
      'NOT_FOUND',
      `unknown module kind '${config.kind}' (registered: ${[...factories.keys()].sort().join(', ')})`,
    );
  }
  return f(config);
}

/** Kinds with a registered factory, sorted. */
export function registeredKinds(): string[] {
  return [...factories.keys()].sort();
}
