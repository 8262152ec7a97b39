import { Conv2d, type Cost, Linear, layerCosts, type Module, type Shape } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';

/** A layer a selector may factorize, with what the cost model saw of it. */
export interface CompressibleLayer {
  /** Full path in the model, e.g. `'layer1.0.conv1'`. */
  readonly path: string;
  readonly layer: Conv2d | Linear;
  /** The layer's input shape (no batch axis) when the model runs on `context.inputShape`. */
  readonly inputShape: Shape;
  /** The dense layer's cost on that input. */
  readonly dense: Cost;
}

/**
 * The compressible layers of `model`, in module order: every Conv2d / Linear, or exactly those
 * named by `layers`. Input shapes come from one pass of the cost model (`layerCosts`) over
 * `inputShape`, so MACs use each layer's real resolution.
 *
 * @throws TnzipError NOT_FOUND (a path with no module), INVALID_ARGUMENT (a path that is not a
 *   Conv2d / Linear, an empty or repeated list, a model without such layers), SHAPE_MISMATCH
 *   (an input shape the model does not accept)
 */
export function compressibleLayers(model: Module, inputShape: Shape, layers?: readonly string[]): CompressibleLayer[] {
  const { layers: costs } = layerCosts(model, inputShape);
  const all = model.namedModules().filter(([, m]) => m instanceof Conv2d || m instanceof Linear);
  let chosen: Array<[string, Module]>;
  if (layers === undefined) {
    chosen = all;
  } else {
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `context.layers must be a non-empty list of layer paths, got ${JSON.stringify(layers)}`,
      );
    }
    const byPath = new Map(model.namedModules());
    const wanted = new Set<string>();
    for (const p of layers) {
      if (wanted.has(p)) throw new TnzipError('INVALID_ARGUMENT', `context.layers names '${p}' twice`);
      const m = byPath.get(p);
      if (m === undefined) {
        throw new TnzipError(
          'NOT_FOUND',
          `context.layers: no module at path '${p}' (conv/linear layers: ${all.map(([q]) => q).join(', ')})`,
        );
      }
      if (!(m instanceof Conv2d || m instanceof Linear)) {
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `context.layers: '${p}' is a ${m.kind}, only Conv2d and Linear layers can be factorized`,
        );
      }
      wanted.add(p);
    }
    chosen = all.filter(([p]) => wanted.has(p));
  }
  if (chosen.length === 0)
    throw new TnzipError('INVALID_ARGUMENT', `model '${model.name}' has no Conv2d or Linear layer to compress`);
  return chosen.map(([path, m]) => {
    const rec = costs.get(path);
    if (rec === undefined) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `layer '${path}' is never reached by the model's forward pass, so it has no input shape`,
      );
    }
    return { path, layer: m as Conv2d | Linear, inputShape: rec.inputShape, dense: rec.cost };
  });
}
