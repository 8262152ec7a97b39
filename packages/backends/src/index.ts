export type { BackendChoice, BackendName } from './backend-name.js';
export { BACKEND_CHOICES, backendFromEnv, parseBackendChoice } from './backend-name.js';
export type { BackendInfo, UseBackendOptions } from './use-backend.js';
export { useBackend } from './use-backend.js';
export type { WasmOptions } from './wasm.js';
export { installWasmConvFilterGrad } from './wasm-conv-grad.js';
export type { WebgpuOptions } from './webgpu.js';
export { releaseWebgpu, webgpuAvailability } from './webgpu.js';
