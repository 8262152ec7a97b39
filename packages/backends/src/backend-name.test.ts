import { isTnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, backendFromEnv, parseBackendChoice } from './backend-name.js';

describe('parseBackendChoice', () => {
  it('accepts every documented name, ignoring case and surrounding spaces', () => {
    for (const name of BACKEND_CHOICES) {
      expect(parseBackendChoice(name)).toBe(name);
      expect(parseBackendChoice(` ${name.toUpperCase()} `)).toBe(name);
    }
  });

  it('rejects an unknown name with INVALID_ARGUMENT listing the allowed values', () => {
    let caught: unknown;
    try {
      parseBackendChoice('tensorflow', 'flag --backend');
    } catch (e) {
      caught = e;
    }
    expect(isTnzipError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toBe(
      "flag --backend: unknown backend 'tensorflow' (allowed: auto, webgpu, wasm, cpu)",
    );
  });
});

describe('backendFromEnv', () => {
  it('returns the fallback when TNZIP_BACKEND is unset or blank', () => {
    expect(backendFromEnv('auto', {})).toBe('auto');
    expect(backendFromEnv('cpu', { TNZIP_BACKEND: '  ' })).toBe('cpu');
  });

  it('reads and normalises TNZIP_BACKEND', () => {
    expect(backendFromEnv('auto', { TNZIP_BACKEND: 'WASM' })).toBe('wasm');
    expect(backendFromEnv('auto', { TNZIP_BACKEND: 'webgpu\n' })).toBe('webgpu');
  });

  it('names the variable and the allowed values for a bad value', () => {
    expect(() => backendFromEnv('auto', { TNZIP_BACKEND: 'gpu' })).toThrow(
      "TNZIP_BACKEND: unknown backend 'gpu' (allowed: auto, webgpu, wasm, cpu)",
    );
  });

  it('reads process.env by default', () => {
    const saved = process.env.TNZIP_BACKEND;
    try {
      process.env.TNZIP_BACKEND = 'cpu';
      expect(backendFromEnv()).toBe('cpu');
    } finally {
      if (saved === undefined) delete process.env.TNZIP_BACKEND;
      else process.env.TNZIP_BACKEND = saved;
    }
  });
});
