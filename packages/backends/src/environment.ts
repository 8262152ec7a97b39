/** True in Node (and Node-compatible runtimes), where the wasm files and Dawn come from packages. */
export function isNode(): boolean {
  const p = globalThis.process;
  return typeof p === 'object' && p !== null && typeof p.versions?.node === 'string';
}
