import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe } from 'vitest';

/** Backends a spec can run on. `webgpu` joins once @tnzip/backends provides it. */
export type TestBackend = 'cpu' | 'wasm';

const ALL: readonly TestBackend[] = ['cpu', 'wasm'];

/**
 * The backends selected for this test run: `TNZIP_BACKENDS=cpu,wasm` (or the single
 * `TNZIP_BACKEND=wasm`) narrows the set; by default every backend runs.
 */
export function selectedBackends(): TestBackend[] {
  const raw = process.env.TNZIP_BACKENDS ?? process.env.TNZIP_BACKEND;
  if (raw === undefined || raw.trim() === '') return [...ALL];
  const wanted = raw.split(',').map((s) => s.trim());
  for (const w of wanted) {
    if (!ALL.includes(w as TestBackend)) {
      throw new Error(`TNZIP_BACKENDS: unknown backend '${w}' (allowed: ${ALL.join(', ')})`);
    }
  }
  return wanted as TestBackend[];
}

/**
 * Runs `spec` once per selected backend, inside a `describe` block named after the backend,
 * with that backend active (as tfjs runs its op tests on every environment).
 */
export function describeBackends(name: string, spec: (backend: TestBackend) => void): void {
  for (const backend of selectedBackends()) {
    describe(`${name} [${backend}]`, () => {
      let previous = '';
      beforeAll(async () => {
        previous = tf.getBackend() ?? '';
        const ok = await tf.setBackend(backend);
        if (!ok) throw new Error(`backend '${backend}' failed to initialize`);
        await tf.ready();
      });
      afterAll(async () => {
        if (previous !== '' && previous !== backend) await tf.setBackend(previous);
      });
      spec(backend);
    });
  }
}
