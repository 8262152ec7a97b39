import { isReconstructible } from '../keras/export-reconstructed.js';
import { noOnnxForm, type OnnxExporter } from './onnx-common.js';
import { onnxConv2d, onnxLinear } from './onnx-dense.js';

/**
 * A factorized layer with no ONNX chain (ADA/SCADA-Tucker, or any kind without an exporter) →
 * its reconstructed dense Conv / Gemm. The factorized form is lost: the report lists the layer
 * with its tnzip and exported parameter counts.
 */
export const onnxReconstructed: OnnxExporter = (module, x, ctx) => {
  if (!isReconstructible(module)) throw noOnnxForm(module, ctx, 'has no ONNX exporter and no toDense()');
  const dense = module.toDense();
  try {
    if (dense.kind !== 'linear' && dense.kind !== 'conv2d')
      throw noOnnxForm(module, ctx, `reconstructs to a '${dense.kind}' layer`);
    const r = dense.kind === 'linear' ? onnxLinear(dense, x, ctx) : onnxConv2d(dense, x, ctx);
    return { output: r.output, form: 'reconstructed' };
  } finally {
    dense.dispose();
  }
};
