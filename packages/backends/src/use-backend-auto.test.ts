import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// auto's order is tested with the backends' probes replaced, so the result does not depend on
// whether this machine has a GPU, a Vulkan driver or working wasm.
const state = vi.hoisted(() => ({ adapter: false, webgpuInit: true, wasm: true, calls: [] as string[] }));

vi.mock('./webgpu.js', () => ({
  probeWebgpu: async () => {
    state.calls.push('probe-webgpu');
    return state.adapter
      ? { ok: true, adapter: {}, description: 'Test GPU' }
      : { ok: false, reason: 'navigator.gpu is missing' };
  },
  initWebgpu: async () => {
    state.calls.push('init-webgpu');
    if (!state.webgpuInit) throw new Error('device lost');
  },
}));
vi.mock('./wasm.js', () => ({
  initWasm: async () => {
    state.calls.push('init-wasm');
    if (!state.wasm) throw new Error('wasm binary not found');
    return { threads: 2 };
  },
}));

const { useBackend } = await import('./use-backend.js');

describe('useBackend("auto") order: webgpu, then wasm, then cpu', () => {
  beforeEach(() => {
    Object.assign(state, { adapter: false, webgpuInit: true, wasm: true, calls: [] });
  });

  it('picks webgpu when an adapter exists', async () => {
    state.adapter = true;
    const info = await useBackend('auto');
    expect(info).toEqual({ backend: 'webgpu', reason: 'auto: WebGPU adapter found (Test GPU)' });
    expect(state.calls).toEqual(['probe-webgpu', 'init-webgpu']);
  });

  it('picks wasm when there is no adapter, and says why', async () => {
    const info = await useBackend('auto');
    expect(info.backend).toBe('wasm');
    expect(info.threads).toBe(2);
    expect(info.reason).toBe('auto: no webgpu: navigator.gpu is missing; using wasm in Node');
    expect(state.calls).toEqual(['probe-webgpu', 'init-wasm']);
  });

  it('falls through to wasm when the webgpu device fails', async () => {
    state.adapter = true;
    state.webgpuInit = false;
    const info = await useBackend('auto');
    expect(info.backend).toBe('wasm');
    expect(info.reason).toContain('webgpu failed to initialise (device lost)');
  });

  it('falls back to cpu when neither webgpu nor wasm works', async () => {
    state.wasm = false;
    const info = await useBackend('auto');
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toBe('auto: no webgpu: navigator.gpu is missing; no wasm: wasm binary not found; using cpu');
  });

  it('an explicit wasm request that fails is BACKEND_UNAVAILABLE, not a silent fallback', async () => {
    state.wasm = false;
    await expect(useBackend('wasm')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: "backend 'wasm' is unavailable: wasm binary not found",
    });
  });
});
