import { create, globals } from 'webgpu';

/**
 * Gives Node a `navigator.gpu` backed by Dawn (the `webgpu` package's prebuilt `dawn.node`), and
 * the WebGPU constant objects (`GPUBufferUsage`, `GPUMapMode`, …) that tfjs-backend-webgpu reads
 * as globals. Idempotent: an existing `navigator.gpu` is kept.
 *
 * Dawn picks Vulkan on Linux; without a GPU, point `VK_ICD_FILENAMES` at a software driver such
 * as SwiftShader (`/usr/lib/chromium/vk_swiftshader_icd.json` from Debian's `chromium`).
 *
 * @param flags Dawn options passed to `create`, e.g. `['backend=vulkan']`,
 *   `['adapter=SwiftShader Device (Subzero)']` or `['enable-dawn-features=…']`.
 */
export function provideNodeGpu(flags: readonly string[] = []): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals as Record<string, unknown>)) {
    if (g[k] === undefined) g[k] = v;
  }
  let nav = g.navigator as Record<string, unknown> | undefined;
  if (nav === undefined) {
    nav = {};
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  }
  if (nav.gpu === undefined) {
    // The GPU object keeps Dawn's event loop (and so the process) alive while referenced;
    // releaseNodeGpu() drops it.
    Object.defineProperty(nav, 'gpu', { value: create([...flags]), configurable: true, writable: true });
  }
}

/** Drops the Dawn instance made by {@link provideNodeGpu} so that Node can exit. */
export function releaseNodeGpu(): void {
  const nav = (globalThis as Record<string, unknown>).navigator as Record<string, unknown> | undefined;
  if (nav !== undefined) delete nav.gpu;
}
