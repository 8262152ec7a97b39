import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe } from 'vitest';

/**
 * Backends a spec can run on. `webgpu` runs only when selected (see {@link selectedBackends}):
 * in Node it needs a Vulkan driver (SwiftShader from Debian's `chromium` on machines without a
 * GPU; `packages/backends/scripts/ci-webgpu.sh` sets it up).
 */
export type TestBackend = 'cpu' | 'wasm' | 'webgpu';

const ALL: readonly TestBackend[] = ['cpu', 'wasm', 'webgpu'];
const DEFAULT: readonly TestBackend[] = ['cpu', 'wasm'];

/**
 * The backends selected for this test run: `TNZIP_BACKENDS=cpu,wasm,webgpu` (or the single
 * `TNZIP_BACKEND=wasm`) names the set; by default `cpu` and `wasm` run, so the normal suite stays
 * fast, and `TNZIP_WEBGPU=1` adds `webgpu` to whatever is selected.
 *
 * @throws Error naming the variable and the allowed values for an unknown backend.
 */
export function selectedBackends(env: Record<string, string | undefined> = process.env): TestBackend[] {
  const raw = env.TNZIP_BACKENDS ?? env.TNZIP_BACKEND;
  let wanted: string[];
  if (raw === undefined || raw.trim() === '') {
    wanted = [...DEFAULT];
  } else {
    wanted = raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const source = env.TNZIP_BACKENDS !== undefined ? 'TNZIP_BACKENDS' : 'TNZIP_BACKEND';
    for (const w of wanted) {
      if (!ALL.includes(w as TestBackend)) {
        throw new Error(`${source}: unknown backend '${w}' (allowed: ${ALL.join(', ')})`);
      }
    }
  }
  const flag = env.TNZIP_WEBGPU?.trim();
  if (flag !== undefined && flag !== '' && flag !== '0' && !wanted.includes('webgpu')) {
    wanted.push('webgpu');
  }
  return [...new Set(wanted)] as TestBackend[];
}

/**
 * Registers tfjs' WebGPU backend. In Node, `navigator.gpu` comes from Dawn (the `webgpu`
 * package) and must exist before tfjs-backend-webgpu is imported, which registers its factory
 * only when it sees one. (This mirrors @tnzip/backends' useBackend, which this package cannot
 * import: @tnzip/backends depends on @tnzip/tensor, whose tests depend on this package.)
 */
async function registerWebgpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu') !== null) return;
  const g = globalThis as Record<string, unknown>;
  if ((g.navigator as { gpu?: unknown } | undefined)?.gpu === undefined) {
    const { create, globals } = await import('webgpu');
    for (const [k, v] of Object.entries(globals as Record<string, unknown>)) {
      if (g[k] === undefined) g[k] = v;
    }
    if (g.navigator === undefined) {
      Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    }
    Object.defineProperty(g.navigator as object, 'gpu', { value: create([]), configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') === null) {
    throw new Error('webgpu: tfjs-backend-webgpu did not register (no navigator.gpu)');
  }
}

/**
 * Runs `spec` once per selected backend, inside a `describe` block named after the backend,
 * with that backend active (as tfjs runs its op tests on every environment).
 *
 * On `webgpu` in Node, `dataSync()`/`arraySync()` throw (tfjs reads back synchronously through
 * an `OffscreenCanvas`, which Node lacks): specs that should run there read with `await data()`.
 */
export function describeBackends(name: string, spec: (backend: TestBackend) => void): void {
  for (const backend of selectedBackends()) {
    describe(`${name} [${backend}]`, () => {
      let previous = '';
      beforeAll(async () => {
        previous = tf.getBackend() ?? '';
        if (backend === 'webgpu') await registerWebgpu();
        const ok = await tf.setBackend(backend);
        if (!ok) {
          const hint =
            backend === 'webgpu'
              ? ' (no WebGPU adapter: set VK_ICD_FILENAMES to a Vulkan driver, see packages/backends/scripts/ci-webgpu.sh)'
              : '';
          throw new Error(`backend '${backend}' failed to initialize${hint}`);
        }
        await tf.ready();
      });
      afterAll(async () => {
        if (previous !== '' && previous !== backend) await tf.setBackend(previous);
      });
      spec(backend);
    });
  }
}
