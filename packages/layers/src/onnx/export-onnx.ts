import { TnzipError } from '@tnzip/tensor';
import { isReconstructible } from '../keras/export-reconstructed.js';
import { Graph } from '../layers/graph.js';
import type { Module, Shape } from '../module.js';
import { int, ONNX_OPSET, OnnxGraphBuilder, type OnnxRef } from './onnx-builder.js';
import { type OnnxExportContext, type OnnxExporter, toPlain } from './onnx-common.js';
import { CONTAINER_ONNX_EXPORTERS } from './onnx-containers.js';
import { onnxCP } from './onnx-cp.js';
import { DENSE_ONNX_EXPORTERS } from './onnx-dense.js';
import { onnxReconstructed } from './onnx-reconstructed.js';
import { onnxTTConv, onnxTTLinear } from './onnx-tt.js';
import { onnxTucker2 } from './onnx-tucker2.js';

/**
 * ONNX exporters by module kind: dense layers, containers, and the factorized kinds that have an
 * op chain. A factorized kind missing here (ADA/SCADA-Tucker) is written reconstructed.
 */
export const ONNX_EXPORTERS: Readonly<Record<string, OnnxExporter>> = {
  ...DENSE_ONNX_EXPORTERS,
  ...CONTAINER_ONNX_EXPORTERS,
  'tucker2-conv2d': onnxTucker2,
  'cp-conv2d': onnxCP,
  'tt-conv2d': onnxTTConv,
  'tt-linear': onnxTTLinear,
};

/** Options of {@link exportOnnxModel}. */
export interface ExportOnnxOptions {
  /** Per-example input shape (NHWC images, no batch axis); default: the {@link Graph}'s own. Required for other roots. */
  readonly inputShape?: Shape;
  /** Appended to the output; default: the Graph's `outputActivation` (an imported model's final softmax), else none. */
  readonly outputActivation?: 'none' | 'softmax';
  /** Graph name; default: the module's name. */
  readonly name?: string;
}

/** How one tnzip layer with weights was written. */
export interface OnnxExportedLayer {
  readonly path: string;
  readonly kind: string;
  /** `'factorized'`: its op chain; `'reconstructed'`: its dense weight (factorized form lost); `'dense'`: as it was. */
  readonly form: 'factorized' | 'reconstructed' | 'dense';
  /** ONNX op types written for it, in order. */
  readonly ops: readonly string[];
  /** Trainable scalars of the tnzip layer. */
  readonly params: number;
  /** Weight scalars written for it (BatchNormalization's running statistics not counted). */
  readonly exportedParams: number;
}

/** What {@link exportOnnxModel} wrote. */
export interface OnnxExportReport {
  readonly opset: number;
  readonly layers: readonly OnnxExportedLayer[];
  /** The factorized layers written as their dense weight. */
  readonly reconstructed: readonly OnnxExportedLayer[];
  readonly params: number;
  readonly exportedParams: number;
  /** Size of the encoded model. */
  readonly bytes: number;
}

function checkOptions(model: Module, options: ExportOnnxOptions): Shape {
  const graph = model instanceof Graph ? model : null;
  const inputShape = options.inputShape ?? graph?.inputShape;
  if (inputShape === undefined || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d >= 1))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `exportOnnx: inputShape must be given (integers >= 1) for a '${model.kind}' root, got ${JSON.stringify(inputShape)}`,
    );
  const act = options.outputActivation;
  if (act !== undefined && act !== 'none' && act !== 'softmax')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `exportOnnx: outputActivation must be 'none' or 'softmax', got ${JSON.stringify(act)}`,
    );
  return inputShape;
}

/**
 * Writes a tnzip model as an ONNX model (opset 13, float32; input `[N, ...inputShape]` NHWC as
 * tnzip reads it, transposed once to NCHW inside the graph): factorized layers as their op
 * chains ({@link ONNX_EXPORTERS}), kinds with no chain as their reconstructed weight (the report
 * lists them). Browser-safe: it returns the encoded `ModelProto`; `writeOnnxFile` writes it in
 * Node. Inference semantics: BatchNorm uses its running statistics, Dropout is the identity.
 *
 * INVALID_ARGUMENT naming the layer for a module with no ONNX form, or a missing input shape,
 * before anything is returned.
 */
export async function exportOnnxModel(
  model: Module,
  options: ExportOnnxOptions = {},
): Promise<{ bytes: Uint8Array; report: OnnxExportReport }> {
  const inputShape = checkOptions(model, options);
  model.cost(inputShape); // shape errors before any node is written
  const graph = model instanceof Graph ? model : null;
  const b = new OnnxGraphBuilder(options.name ?? model.name, graph?.input ?? 'input', inputShape);
  try {
    const layers: OnnxExportedLayer[] = [];
    const write = (m: Module, x: OnnxRef, path: string): OnnxRef => {
      const mark = b.mark();
      const ctx: OnnxExportContext = {
        builder: b,
        path,
        base: path === '' ? m.name : path.replace(/\./g, '_'),
        child: (c, y) => write(c, y, path === '' ? c.name : `${path}.${c.name}`),
      };
      const f = ONNX_EXPORTERS[m.kind] ?? (isReconstructible(m) ? onnxReconstructed : undefined);
      if (f === undefined)
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `exportOnnx: layer '${path || m.name}' (${m.kind}) has no ONNX form (exportable kinds: ${Object.keys(ONNX_EXPORTERS).sort().join(', ')})`,
        );
      const { output, form } = f(m, x, ctx);
      if (form !== undefined) {
        const { ops, params: written } = b.since(mark);
        const params = m.namedParameters().reduce((a, [, v]) => a + v.size, 0);
        const bnBuffers = m.kind === 'batch-norm' ? 2 * (m.cost(x.shape).outputShape.at(-1) as number) : 0;
        layers.push({ path: path || m.name, kind: m.kind, form, ops, params, exportedParams: written - bnBuffers });
      }
      return output;
    };
    let out = toPlain(b, write(model, b.input, ''), 'output');
    if ((options.outputActivation ?? graph?.outputActivation ?? 'none') === 'softmax')
      out = { ...out, name: b.node('Softmax', [out.name], `${out.name}_softmax`, { axis: int(-1) }) };
    const bytes = await b.build(out);
    const report: OnnxExportReport = {
      opset: ONNX_OPSET,
      layers,
      reconstructed: layers.filter((l) => l.form === 'reconstructed'),
      params: layers.reduce((a, l) => a + l.params, 0),
      exportedParams: layers.reduce((a, l) => a + l.exportedParams, 0),
      bytes: bytes.byteLength,
    };
    return { bytes, report };
  } finally {
    b.dispose();
  }
}

/** The report as lines: totals, then each layer that lost its factorized form or grew. */
export function formatOnnxExportReport(report: OnnxExportReport): string {
  const ratio = (l: OnnxExportedLayer): string => (l.exportedParams / Math.max(1, l.params)).toFixed(2);
  const lines = [
    `ONNX opset ${report.opset}: ${report.layers.length} layers with weights, ${report.exportedParams} scalars written for ${report.params} tnzip params, ${report.bytes} bytes`,
  ];
  for (const l of report.reconstructed)
    lines.push(
      `  ${l.path} (${l.kind}): no ONNX op chain, written as its dense weight (${l.ops.join(', ')}): ${l.exportedParams} scalars instead of ${l.params} (×${ratio(l)})`,
    );
  for (const l of report.layers)
    if (l.form === 'factorized')
      lines.push(
        `  ${l.path} (${l.kind}): factorized as ${l.ops.join(' → ')}${l.exportedParams > l.params ? `, ${l.exportedParams} scalars for ${l.params} params (×${ratio(l)})` : ''}`,
      );
  return lines.join('\n');
}
