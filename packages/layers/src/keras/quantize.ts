import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { joinWeightData } from './weights-manifest.js';

/** Storage types of quantized tfjs weights. */
export type WeightQuantization = 'uint8' | 'uint16' | 'float16';

/**
 * Quantizes float32 weights as `tensorflowjs_converter --quantize_*` stores them, so that every
 * tfjs loader (`tf.io.decodeWeights`, `tf.loadLayersModel`) dequantizes them: uint8/uint16 affine
 * per tensor (`x ≈ q·scale + min`, `scale = (max − min) / (2^bits − 1)`; error ≤ scale / 2),
 * float16 by rounding to half precision. Non-float32 entries are kept as they are.
 */
export function quantizeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: tf.io.WeightData | undefined,
  dtype: WeightQuantization,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (dtype !== 'uint8' && dtype !== 'uint16' && dtype !== 'float16')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `quantize must be 'uint8', 'uint16' or 'float16', got ${JSON.stringify(dtype)}`,
    );
  const buffer = joinWeightData(data);
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32' || s.quantization !== undefined) {
      const width =
        s.quantization !== undefined ? (s.quantization.dtype === 'uint8' ? 1 : 2) : s.dtype === 'bool' ? 1 : 4;
      parts.push(new Uint8Array(buffer.slice(offset, offset + n * width)));
      offset += n * width;
      out.push(s);
      continue;
    }
    const x = new Float32Array(buffer.slice(offset, offset + 4 * n));
    offset += 4 * n;
    if (dtype === 'float16') {
      const q = new Uint16Array(n);
      for (let i = 0; i < n; i++) q[i] = toHalf(x[i] as number);
      parts.push(new Uint8Array(q.buffer));
      out.push({ ...s, quantization: { dtype: 'float16' } });
      continue;
    }
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (n === 0) min = max = 0;
    const levels = dtype === 'uint8' ? 255 : 65535;
    const scale = max > min ? (max - min) / levels : 1;
    const q = dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) q[i] = Math.round(((x[i] as number) - min) / scale);
    parts.push(new Uint8Array(q.buffer));
    out.push({ ...s, quantization: { dtype, min, scale } });
  }
  const total = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    total.set(p, o);
    o += p.byteLength;
  }
  return { specs: out, data: total.buffer };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of `v`, rounded to nearest even (subnormals and infinities included). */
function toHalf(v: number): number {
  f32[0] = v;
  const b = u32[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : 0x200);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1) === 1)) m += 1;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1) === 1)) {
    m += 1;
    if (m === 0x400) {
      m = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}
