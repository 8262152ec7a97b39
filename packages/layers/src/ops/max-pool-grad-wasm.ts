import * as tf from '@tensorflow/tfjs-core';

/** Name of the JavaScript MaxPool-gradient kernel registered for the wasm backend. */
export const WASM_MAX_POOL_GRAD = 'TnzipMaxPoolGrad';

/** What the kernel needs of tfjs-backend-wasm (4.22): an output on the wasm heap and typed views of it. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

function isHeapBackend(b: object): b is HeapBackend {
  const c = b as Partial<HeapBackend>;
  return typeof c.makeOutput === 'function' && typeof c.typedArrayFromHeap === 'function';
}

/**
 * Adds dy to dx (zeroed) through every pooling window: for output cell (n, i, j, k) the first
 * maximum of channel k's window (row-major window order, strict `>`, as tfjs-backend-cpu and
 * PyTorch) receives that cell's dy. The maximum and its index stay in locals.
 */
function scatterWindows(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  let o = 0;
  for (let n = 0; n < batchSize; n++)
    for (let i = 0; i < OH; i++) {
      const r0 = i * info.strideHeight - info.padInfo.top;
      const rA = Math.max(0, r0);
      const rB = Math.min(H, r0 + info.effectiveFilterHeight);
      for (let j = 0; j < OW; j++) {
        const c0 = j * info.strideWidth - info.padInfo.left;
        const cA = Math.max(0, c0);
        const cB = Math.min(W, c0 + info.effectiveFilterWidth);
        for (let k = 0; k < C; k++, o++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = rA; r < rB; r++)
            for (let p = ((n * H + r) * W + cA) * C + k, e = p + (cB - cA) * C; p < e; p += C) {
              const v = x[p] as number;
              if (v > best) {
                best = v;
                at = p;
              }
            }
          if (at >= 0) dx[at] = (dx[at] as number) + (dy[o] as number);
        }
      }
    }
}

/**
 * MaxPool's gradient as a JavaScript kernel on the wasm heap. tfjs-backend-wasm 4.22's own
 * `MaxPoolGrad` is wrong for all-negative windows (see max-pool-gradient.ts) and slow: 13.4 ms
 * for LeNet-5's `[64, 24, 24, 20]` 2×2 pool, 16 % of a training step (`bench/profile.ts lenet`).
 * This loop reads x and dy once and writes dx once. Inputs `{ dy, input }` and attrs as tfjs's
 * `MaxPoolGrad`; float32 only (the gradient falls back to the backend's kernel otherwise).
 */
function maxPoolGradKernel({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  if (!isHeapBackend(backend)) throw new Error(`${WASM_MAX_POOL_GRAD}: the active backend has no wasm heap`);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  // Allocate first: a heap growth would detach views taken before it.
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  scatterWindows(
    info,
    backend.typedArrayFromHeap(input) as Float32Array,
    backend.typedArrayFromHeap(dy) as Float32Array,
    dx,
  );
  return out;
}

if (tf.getKernel(WASM_MAX_POOL_GRAD, 'wasm') === undefined)
  tf.registerKernel({ kernelName: WASM_MAX_POOL_GRAD, backendName: 'wasm', kernelFunc: maxPoolGradKernel });

/** Whether {@link WASM_MAX_POOL_GRAD} can run for `x` on the active backend. */
export function wasmMaxPoolGradApplies(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && tf.getBackend() === 'wasm' && isHeapBackend(tf.backend());
}
