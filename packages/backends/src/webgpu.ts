import * as tf from '@tensorflow/tfjs-core';
import { isNode } from './environment.js';

/** Options for the WebGPU backend (adapter selection). */
export interface WebgpuOptions {
  /** Passed to `navigator.gpu.requestAdapter`. Default `'high-performance'`, as tfjs does. */
  powerPreference?: 'low-power' | 'high-performance';
  /** Ask for a software (fallback) adapter. */
  forceFallbackAdapter?: boolean;
  /**
   * Node only: Dawn options for the `webgpu` package's `create()`, e.g. `['backend=vulkan']` or
   * `['adapter=<name>']` (a wrong name makes Dawn list the adapters it found).
   */
  dawnFlags?: string[];
}

/** The adapter found by {@link probeWebgpu}, or why there is none. */
export type WebgpuProbe = { ok: true; adapter: GPUAdapter; description: string } | { ok: false; reason: string };

function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
  return parts.length > 0 ? parts.join(' ') : 'unnamed adapter';
}

/**
 * Finds a WebGPU adapter without initialising the backend. In Node it first provides
 * `navigator.gpu` from Dawn (see `provideNodeGpu`).
 */
export async function probeWebgpu(options: WebgpuOptions = {}): Promise<WebgpuProbe> {
  if (isNode()) {
    try {
      const { provideNodeGpu } = await import('./node-webgpu.js');
      provideNodeGpu(options.dawnFlags);
    } catch (e) {
      return { ok: false, reason: `the 'webgpu' package (Dawn for Node) did not load: ${String(e)}` };
    }
  }
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) {
    return { ok: false, reason: 'navigator.gpu is missing (this browser has no WebGPU)' };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference ?? 'high-performance',
      forceFallbackAdapter: options.forceFallbackAdapter ?? false,
    });
  } catch (e) {
    // Drop a Dawn instance made with flags that found nothing, so a later call can retry.
    if (isNode()) (await import('./node-webgpu.js')).releaseNodeGpu();
    return { ok: false, reason: `navigator.gpu.requestAdapter() threw: ${String(e)}` };
  }
  if (adapter === null) {
    if (isNode()) (await import('./node-webgpu.js')).releaseNodeGpu();
    const hint = isNode()
      ? ' (Dawn found no Vulkan driver: on a machine without a GPU install a software one, e.g. ' +
        "Debian's chromium package, and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)"
      : '';
    return { ok: false, reason: `navigator.gpu.requestAdapter() returned null${hint}` };
  }
  return { ok: true, adapter, description: describeAdapter(adapter) };
}

/**
 * Registers (once) and activates the tfjs WebGPU backend on `adapter`. The device is requested
 * with the adapter's own limits, as tfjs-backend-webgpu does for its default registration.
 *
 * @throws Error when `tf.setBackend('webgpu')` fails.
 */
export async function initWebgpu(adapter: GPUAdapter): Promise<void> {
  if (tf.engine().registry.webgpu === undefined) {
    // Importing the package registers its kernels (and, when navigator.gpu already exists, its
    // own factory, which we replace so the adapter chosen here is the one used).
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      async () => {
        const requiredFeatures: GPUFeatureName[] = [];
        if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
        const l = adapter.limits;
        const device = await adapter.requestDevice({
          requiredFeatures,
          requiredLimits: {
            maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
            maxBufferSize: l.maxBufferSize,
            maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          },
        });
        return new WebGPUBackend(device, adapter.info);
      },
      3,
    );
  }
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
}

/**
 * Disposes the WebGPU backend (if initialised) and, in Node, drops the Dawn instance, whose
 * event loop otherwise keeps the process alive. When WebGPU was active, the cpu backend becomes
 * active where it is registered (a bundle may leave it out: then none is until the next
 * `useBackend`). Switch to another backend first if you go on.
 */
export async function releaseWebgpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu') !== null) {
    if (tf.getBackend() === 'webgpu' && tf.findBackendFactory('cpu') !== null) await tf.setBackend('cpu');
    tf.removeBackend('webgpu');
  }
  if (isNode()) (await import('./node-webgpu.js')).releaseNodeGpu();
}

/**
 * Whether WebGPU can run here, without initialising the backend: the adapter's description, or
 * the reason there is none (no `navigator.gpu`, Dawn failed to load, no Vulkan driver, …).
 */
export async function webgpuAvailability(
  options: WebgpuOptions = {},
): Promise<{ available: true; adapter: string } | { available: false; reason: string }> {
  const p = await probeWebgpu(options);
  return p.ok ? { available: true, adapter: p.description } : { available: false, reason: p.reason };
}
