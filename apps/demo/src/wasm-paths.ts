import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/**
 * Where this build serves tfjs' three wasm binaries (Vite copies them into the build with hashed
 * names), as the file-name → URL map `useBackend(…, { wasmPaths })` passes to `setWasmPaths`.
 * URLs are absolute so they do not depend on the importing script's location.
 */
export function wasmPaths(): Record<string, string> {
  const abs = (u: string): string => new URL(u, document.baseURI).href;
  return {
    'tfjs-backend-wasm.wasm': abs(plain),
    'tfjs-backend-wasm-simd.wasm': abs(simd),
    'tfjs-backend-wasm-threaded-simd.wasm': abs(threadedSimd),
  };
}
