import type { Module } from './module.js';

/**
 * Awaits `data()` of every parameter and buffer of `module`'s subtree, so that the backend keeps
 * a CPU copy of each value and later synchronous reads of these variables work on every backend.
 *
 * Why: `factorize`, `factorizeLayer` and the factorized layers' `fromDense` read the dense
 * weights synchronously (`dataSync`, to decompose them in float64), and stay synchronous for
 * cpu/wasm users. On tfjs-backend-webgpu a variable that lives on the GPU cannot be read
 * synchronously in Node (no `OffscreenCanvas`) and only slowly in a browser, whereas
 * `await data()` downloads the values and caches them on the CPU. So on webgpu:
 *
 * ```ts
 * await cacheOnCpu(model);
 * factorize(model, plan);
 * ```
 *
 * The cache belongs to the variable's current value: an `assign` (a training step, a load)
 * replaces it, so call this again after changing the weights. On cpu and wasm it only copies
 * the values once (they already live in CPU memory).
 */
export async function cacheOnCpu(module: Module): Promise<void> {
  const vars = [...module.namedParameters(), ...module.namedBuffers()].map(([, v]) => v);
  await Promise.all(vars.map((v) => v.data()));
}
