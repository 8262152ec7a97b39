// AssemblyScript entry of the tensor kernels' WebAssembly module (../scripts/build-wasm.mjs).
// Memory is imported; the caller lays the operands out above the first 64 KiB page.
export { gemm } from './gemm';
export { tql2, tred2 } from './sym-eig';
