import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';

const QUANTIZED_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** Bytes one manifest entry occupies in the shards (quantized entries at their stored width). */
export function entryBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  const width = q === undefined ? DTYPE_BYTES[spec.dtype] : QUANTIZED_BYTES[q];
  if (width === undefined)
    throw new TnzipError(
      'CORRUPT_FILE',
      `weights manifest: '${spec.name}' has dtype ${q ?? spec.dtype}, expected float32/int32/bool or a uint8/uint16/float16 quantization`,
    );
  return n * width;
}

/** Bytes all of `specs` occupy in the shards: Σ {@link entryBytes}. */
export function manifestDataBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((a, s) => a + entryBytes(s), 0);
}

/** All shards as one buffer (tfjs hands a multi-shard model as several buffers). */
export function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/**
 * Decodes the weights of a tfjs model (dequantizing uint8/uint16/float16 entries as tfjs does)
 * after checking that the shards hold exactly the bytes the manifest describes: CORRUPT_FILE
 * otherwise (a truncated, padded or foreign shard), before any tensor is made.
 */
export function decodeManifestWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: tf.io.WeightData | undefined,
): tf.NamedTensorMap {
  const buffer = joinWeightData(data);
  const expected = manifestDataBytes(specs);
  if (buffer.byteLength !== expected)
    throw new TnzipError(
      'CORRUPT_FILE',
      `weights: the shards hold ${buffer.byteLength} bytes, the manifest describes ${expected} (a shard is truncated, missing or of another model)`,
    );
  return tf.io.decodeWeights(buffer, [...specs]);
}
