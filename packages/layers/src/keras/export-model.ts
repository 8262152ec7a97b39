import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { Graph } from '../layers/graph.js';
import type { Module, Shape } from '../module.js';
import { type ExportedLayer, KerasModelBuilder, type KerasRef } from './export-builder.js';
import type { ExportContext, KerasExporter } from './export-common.js';
import { CONTAINER_EXPORTERS } from './export-containers.js';
import { exportCP } from './export-cp.js';
import { DENSE_EXPORTERS } from './export-dense.js';
import { exportReconstructed, isReconstructible } from './export-reconstructed.js';
import { exportTTConv, exportTTLinear } from './export-tt.js';
import { exportTucker2 } from './export-tucker2.js';
import { quantizeWeights } from './quantize.js';

/**
 * Exporters by module kind: dense layers, containers, and the factorized kinds that have a
 * stock form. A factorized kind missing here (ADA/SCADA-Tucker) is written reconstructed.
 */
export const KERAS_EXPORTERS: Readonly<Record<string, KerasExporter>> = {
  ...DENSE_EXPORTERS,
  ...CONTAINER_EXPORTERS,
  'tucker2-conv2d': exportTucker2,
  'cp-conv2d': exportCP,
  'tt-conv2d': exportTTConv,
  'tt-linear': exportTTLinear,
};

/** Options of {@link exportLayersModel}. */
export interface ExportLayersOptions {
  /** Per-example input shape; default: the {@link Graph}'s own. Required for other roots. */
  readonly inputShape?: Shape;
  /** Appended to the output; default: the Graph's `outputActivation` (an imported model's final softmax), else none. */
  readonly outputActivation?: 'none' | 'softmax';
  /** Store the weights as uint8 (affine per tensor, ~4× smaller; error ≤ (max − min)/510 per weight). Default: float32. */
  readonly quantize?: 'uint8';
  /** Keras model name; default: the module's name. */
  readonly name?: string;
}

/** What the export wrote, per layer with weights, and the totals. */
export interface ExportReport {
  readonly layers: readonly ExportedLayer[];
  /** The factorized layers written as their dense weight (their factorized form is lost). */
  readonly reconstructed: readonly ExportedLayer[];
  /** Trainable scalars of the tnzip model and scalars in the exported weights. */
  readonly params: number;
  readonly exportedParams: number;
  readonly weightBytes: number;
}

/**
 * Writes a tnzip model as a tfjs LayersModel made only of stock Keras layers, which
 * `tf.loadLayersModel` loads with no tnzip code (see {@link KERAS_EXPORTERS} for each kind's
 * form). Browser-safe: it returns `ModelArtifacts` for any tfjs `IOHandler`
 * (`handler.save(artifacts)`); `writeLayersModelFiles` writes them in Node.
 *
 * INVALID_ARGUMENT for a module with no stock form (a pooling layer with explicit pads, a
 * factorized layer without `toDense`) or a missing input shape, before anything is returned.
 */
export async function exportLayersModel(
  model: Module,
  options: ExportLayersOptions = {},
): Promise<{ artifacts: tf.io.ModelArtifacts; report: ExportReport }> {
  const graph = model instanceof Graph ? model : null;
  const inputShape = options.inputShape ?? graph?.inputShape;
  if (inputShape === undefined || !inputShape.every((d) => Number.isInteger(d) && d >= 1))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `export: inputShape must be given (integers >= 1) for a '${model.kind}' root, got ${JSON.stringify(inputShape)}`,
    );
  if (options.quantize !== undefined && options.quantize !== 'uint8')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `export: quantize must be 'uint8' or absent, got ${JSON.stringify(options.quantize)}`,
    );
  model.cost(inputShape); // shape errors before any layer is written
  const b = new KerasModelBuilder(options.name ?? model.name, graph?.input ?? 'input', inputShape);
  try {
    const layers: ExportedLayer[] = [];
    const write = (m: Module, x: KerasRef, path: string): KerasRef => {
      const before = b.layerCount;
      const ctx: ExportContext = {
        builder: b,
        path,
        base: path === '' ? m.name : path.replace(/\./g, '_'),
        child: (c, y) => write(c, y, path === '' ? c.name : `${path}.${c.name}`),
      };
      const f = KERAS_EXPORTERS[m.kind] ?? (isReconstructible(m) ? exportReconstructed : undefined);
      if (f === undefined)
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `export: layer '${path || m.name}' (${m.kind}) has no stock tfjs layer form (exportable kinds: ${Object.keys(KERAS_EXPORTERS).sort().join(', ')})`,
        );
      const { output, form } = f(m, x, ctx);
      if (form !== undefined) {
        const written = b.layersSince(before);
        const params = m.namedParameters().reduce((a, [, v]) => a + v.size, 0);
        const bnBuffers = m.kind === 'batch-norm' ? 2 * (m.cost(x.shape).outputShape.at(-1) as number) : 0;
        layers.push({
          path: path || m.name,
          kind: m.kind,
          form,
          kerasLayers: written,
          params,
          exportedParams: b.paramsOf(written) - bnBuffers,
        });
      }
      return output;
    };
    let out = write(model, b.input, '');
    const act = options.outputActivation ?? graph?.outputActivation ?? 'none';
    if (act === 'softmax')
      out = b.layer('Activation', `${out.name}_softmax`, { activation: 'softmax' }, [out], out.shape);
    let artifacts = await b.build(out);
    if (options.quantize === 'uint8') {
      const q = quantizeWeights(artifacts.weightSpecs ?? [], artifacts.weightData, 'uint8');
      artifacts = { ...artifacts, weightSpecs: q.specs, weightData: q.data };
    }
    const data = artifacts.weightData;
    const weightBytes =
      data === undefined
        ? 0
        : Array.isArray(data)
          ? data.reduce((a, d) => a + d.byteLength, 0)
          : (data as ArrayBuffer).byteLength;
    const report: ExportReport = {
      layers,
      reconstructed: layers.filter((l) => l.form === 'reconstructed'),
      params: layers.reduce((a, l) => a + l.params, 0),
      exportedParams: layers.reduce((a, l) => a + l.exportedParams, 0),
      weightBytes,
    };
    return { artifacts, report };
  } finally {
    b.dispose();
  }
}

/** One line per layer that lost its factorized form, with what it costs (for CLIs and logs). */
export function formatExportReport(report: ExportReport): string {
  const lines = [
    `exported ${report.layers.length} layers with weights: ${report.exportedParams} scalars written for ${report.params} tnzip params, ${report.weightBytes} weight bytes`,
  ];
  for (const l of report.reconstructed)
    lines.push(
      `  ${l.path} (${l.kind}): no stock factorized form, written as its dense weight: ${l.exportedParams} scalars instead of ${l.params} (×${(l.exportedParams / Math.max(1, l.params)).toFixed(2)})`,
    );
  for (const l of report.layers)
    if (l.form === 'factorized' && l.exportedParams > l.params)
      lines.push(
        `  ${l.path} (${l.kind}): stock chain holds ${l.exportedParams} scalars for ${l.params} params (×${(l.exportedParams / Math.max(1, l.params)).toFixed(2)})`,
      );
  return lines.join('\n');
}
