import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/*
 * The float64 kernels compiled from ../../wasm (AssemblyScript, f64x2 SIMD; see
 * scripts/build-wasm.mjs): loaded once, on first use, into one linear memory that grows to the
 * largest problem seen and is kept (about 40 MiB after a 512 x 4608 SVD). Where WebAssembly SIMD
 * is unavailable (a browser without SIMD128, a content security policy without wasm) the callers
 * run their JavaScript kernels instead; where the runtime refuses to compile synchronously, the
 * module compiles in the background and the JavaScript kernels run until it is ready.
 */

/** The module's exports; pointers are byte offsets into its memory. */
export interface KernelExports {
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, work: number, flags: number): void;
  tred2(w: number, d: number, e: number, n: number): void;
  tql2(w: number, d: number, e: number, n: number): void;
}

/** An instantiated module and its memory. */
export interface Kernels {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
}

const PAGE = 65536;
/** Operands start above the first page, which the module's own static data may use. */
const BASE = PAGE;
/** Problems needing more memory than this run in JavaScript. */
const MAX_BYTES = 2 ** 31;

let kernels: Kernels | null | undefined;
let enabled = true;

/** Turns the wasm kernels off (`false`: every caller runs its JavaScript kernel) or back on. For tests and benchmarks. */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

function instantiate(module: WebAssembly.Module): Kernels {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { exports: instance.exports as unknown as KernelExports, memory };
}

function load(): Kernels | null {
  if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;
  const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
  try {
    if (!WebAssembly.validate(bytes)) return null;
    return instantiate(new WebAssembly.Module(bytes));
  } catch {
    WebAssembly.compile(bytes).then(
      (module) => {
        kernels = instantiate(module);
      },
      () => undefined,
    );
    return null;
  }
}

/** The kernels, or null where they cannot run (or are turned off). */
export function wasmKernels(): Kernels | null {
  if (!enabled) return null;
  if (kernels === undefined) kernels = load();
  return kernels;
}

/** Byte offset of double `index` of the arena. */
export function addressOf(index: number): number {
  return BASE + index * 8;
}

/**
 * A float64 view of `count` doubles of the kernels' memory (from {@link addressOf}(0)), growing the
 * memory first; null when that would pass the size limit or the allocation fails. The contents are
 * whatever the previous call left: callers write every element they read.
 */
export function arena(k: Kernels, count: number): Float64Array | null {
  const bytes = BASE + count * 8;
  if (bytes > MAX_BYTES) return null;
  const have = k.memory.buffer.byteLength;
  try {
    if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  } catch {
    return null;
  }
  return new Float64Array(k.memory.buffer, BASE, count);
}
