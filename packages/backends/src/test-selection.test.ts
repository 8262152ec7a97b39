import { selectedBackends } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';

// The backend selection every package's describeBackends uses (tooling/testing), owned here
// because webgpu joins it through this package's setup.
describe('selectedBackends (TNZIP_BACKENDS / TNZIP_BACKEND / TNZIP_WEBGPU)', () => {
  it('defaults to cpu and wasm so the normal suite stays fast', () => {
    expect(selectedBackends({})).toEqual(['cpu', 'wasm']);
    expect(selectedBackends({ TNZIP_BACKENDS: ' ' })).toEqual(['cpu', 'wasm']);
  });

  it('TNZIP_WEBGPU=1 adds webgpu; 0 or empty does not', () => {
    expect(selectedBackends({ TNZIP_WEBGPU: '1' })).toEqual(['cpu', 'wasm', 'webgpu']);
    expect(selectedBackends({ TNZIP_WEBGPU: '0' })).toEqual(['cpu', 'wasm']);
    expect(selectedBackends({ TNZIP_BACKENDS: 'wasm', TNZIP_WEBGPU: '1' })).toEqual(['wasm', 'webgpu']);
  });

  it('TNZIP_BACKENDS names the set (and wins over TNZIP_BACKEND)', () => {
    expect(selectedBackends({ TNZIP_BACKENDS: 'webgpu' })).toEqual(['webgpu']);
    expect(selectedBackends({ TNZIP_BACKENDS: 'cpu, WebGPU,cpu' })).toEqual(['cpu', 'webgpu']);
    expect(selectedBackends({ TNZIP_BACKEND: 'wasm' })).toEqual(['wasm']);
    expect(selectedBackends({ TNZIP_BACKENDS: 'cpu', TNZIP_BACKEND: 'wasm' })).toEqual(['cpu']);
  });

  it('rejects an unknown backend naming the variable and the allowed values', () => {
    expect(() => selectedBackends({ TNZIP_BACKENDS: 'cpu,gpu' })).toThrow(
      "TNZIP_BACKENDS: unknown backend 'gpu' (allowed: cpu, wasm, webgpu)",
    );
    expect(() => selectedBackends({ TNZIP_BACKEND: 'tpu' })).toThrow("TNZIP_BACKEND: unknown backend 'tpu'");
  });
});
