import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { Activation } from '../layers/activation.js';
import { Graph, type GraphNode } from '../layers/graph.js';
import { Merge } from '../layers/merge.js';
import type { Module, Shape } from '../module.js';
import { type ConvertContext, type ConvertedLayer, convertKerasLayer } from './import-layers.js';
import { type KerasTopology, parseKerasTopology } from './keras-topology.js';
import { decodeManifestWeights } from './weights-manifest.js';

/** What {@link importLayersModel} returns. */
export interface ImportedModel {
  /** The network as a tnzip {@link Graph}; its node names are the Keras layer names. It returns logits when the Keras model ended in a softmax (see `outputActivation`). */
  readonly model: Graph;
  /** Per-example input shape, e.g. `[28, 28, 1]`. */
  readonly inputShape: readonly number[];
  /** `'softmax'` when the Keras model's last step was a softmax, which the tnzip model leaves out (kept for export). */
  readonly outputActivation: 'none' | 'softmax';
}

/**
 * Imports a tfjs LayersModel (the Keras topology of a `Sequential` or functional `Model` and its
 * weights, quantized or not, in any number of shards) as a tnzip {@link Graph}, using only
 * tfjs-core's `io` (no tfjs-layers at run time). `source`: a tfjs `IOHandler` (`tf.io.http(url)`,
 * `tf.io.browserFiles`, `tf.io.fromMemory`), or the `ModelArtifacts` themselves; in Node,
 * `readLayersModelFiles` reads a `model.json` and its shards.
 *
 * Errors (TnzipError; no tensor is left behind): INVALID_ARGUMENT for a layer class or option
 * tnzip does not support (naming the layer, its class and the supported list) or a model of
 * several inputs/outputs; CORRUPT_FILE for a malformed topology, shards that do not hold the
 * bytes the manifest describes, or weights the topology does not match (missing, extra, or of
 * another shape); SHAPE_MISMATCH for layers whose shapes do not chain.
 */
export async function importLayersModel(source: tf.io.IOHandler | tf.io.ModelArtifacts): Promise<ImportedModel> {
  let art: tf.io.ModelArtifacts;
  if (source !== null && typeof source === 'object' && 'load' in source && typeof source.load === 'function') {
    art = await source.load();
  } else if (source !== null && typeof source === 'object' && 'modelTopology' in source) {
    art = source as tf.io.ModelArtifacts;
  } else {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'importLayersModel: source must be a tfjs IOHandler with load() or ModelArtifacts',
    );
  }
  const topology = parseKerasTopology(art.modelTopology);
  const weights = decodeManifestWeights(art.weightSpecs ?? [], art.weightData);
  try {
    return buildGraph(topology, weights);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

/** Manifest names without the `:0` suffix some converters add. */
function byLayer(weights: tf.NamedTensorMap): Map<string, { name: string; tensor: tf.Tensor }> {
  const out = new Map<string, { name: string; tensor: tf.Tensor }>();
  for (const [name, tensor] of Object.entries(weights)) out.set(name.replace(/:0$/, ''), { name, tensor });
  return out;
}

function buildGraph(topo: KerasTopology, weights: tf.NamedTensorMap): ImportedModel {
  const table = byLayer(weights);
  const used = new Set<string>();
  const find = (layer: string, key: string): { key: string; tensor: tf.Tensor } | undefined => {
    const exact = `${layer}/${key}`;
    const hit = table.get(exact);
    if (hit !== undefined) return { key: exact, tensor: hit.tensor };
    for (const [k, v] of table) if (k.endsWith(`/${exact}`)) return { key: k, tensor: v.tensor };
    return undefined;
  };
  const nodes: GraphNode[] = [];
  const valueName = new Map<string, string>([[topo.input.name, topo.input.name]]);
  const shapes = new Map<string, Shape>([[topo.input.name, topo.input.shape]]);
  const names = new Set([topo.input.name, ...topo.layers.map((l) => l.name)]);
  try {
    for (const spec of topo.layers) {
      const inputs = spec.inputs.map((n) => valueName.get(n) as string);
      const inputShapes = inputs.map((n) => shapes.get(n) as Shape);
      const ctx: ConvertContext = {
        spec,
        inputShapes,
        hasWeight: (key) => find(spec.name, key) !== undefined,
        weight: (key, shape) => {
          const w = find(spec.name, key);
          if (w === undefined)
            throw new TnzipError(
              'CORRUPT_FILE',
              `import: the weights manifest has no '${spec.name}/${key}' for layer '${spec.name}' (${spec.className})`,
            );
          if (w.tensor.shape.length !== shape.length || w.tensor.shape.some((d, i) => d !== shape[i]))
            throw new TnzipError(
              'CORRUPT_FILE',
              `import: weight '${w.key}' has shape [${w.tensor.shape.join(', ')}], layer '${spec.name}' (${spec.className}) needs [${shape.join(', ')}]`,
            );
          used.add(w.key);
          return w.tensor;
        },
      };
      // Conv2d/Linear/BatchNorm keep their init tensor alive beside the variable made from it;
      // building inside tidy releases those (variables survive a tidy).
      let converted: ConvertedLayer | null = null;
      tf.tidy(() => {
        converted = convertKerasLayer(ctx);
      });
      const { module, activation } = converted as unknown as ConvertedLayer;
      let out = inputs[0] as string;
      if (module !== null) {
        out = add(nodes, shapes, module, inputs);
      } else if (inputs.length !== 1) {
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `import: layer '${spec.name}' (${spec.className}) must have one input`,
        );
      }
      if (activation !== 'linear') {
        let name = module === null ? spec.name : `${spec.name}_${activation}`;
        while (module !== null && names.has(name)) name = `${name}_`;
        names.add(name);
        out = add(nodes, shapes, new Activation(name, activation), [out]);
      }
      valueName.set(spec.name, out);
    }
    const unused = [...table.keys()].filter((k) => !used.has(k));
    if (unused.length > 0)
      throw new TnzipError(
        'CORRUPT_FILE',
        `import: the weights manifest holds ${unused.map((u) => `'${u}'`).join(', ')}, which no layer of the topology uses`,
      );
    return finish(topo, nodes, valueName.get(topo.output) as string);
  } catch (e) {
    for (const n of nodes) n.module.dispose();
    throw e;
  }
}

function add(nodes: GraphNode[], shapes: Map<string, Shape>, module: Module, inputs: readonly string[]): string {
  nodes.push({ module, inputs });
  const ins = inputs.map((n) => shapes.get(n) as Shape);
  const c = module instanceof Merge ? module.mergeCost(ins) : module.cost(ins[0] as Shape);
  shapes.set(module.name, c.outputShape);
  return module.name;
}

/** Leaves a final softmax out of the graph (kept as `outputActivation`) and builds it. */
function finish(topo: KerasTopology, nodes: GraphNode[], output: string): ImportedModel {
  let out = output;
  let outputActivation: 'none' | 'softmax' = 'none';
  const last = nodes[nodes.length - 1];
  const readers = nodes.filter((n) => n.inputs.includes(out)).length;
  if (
    last !== undefined &&
    last.module.name === out &&
    last.module instanceof Activation &&
    last.module.fn === 'softmax' &&
    readers === 0
  ) {
    nodes.pop();
    last.module.dispose();
    out = last.inputs[0] as string;
    outputActivation = 'softmax';
  }
  const model = new Graph(topo.name.replace(/\./g, '_') || 'model', {
    input: topo.input.name,
    inputShape: topo.input.shape,
    nodes,
    output: out,
    outputActivation,
  });
  return { model, inputShape: [...topo.input.shape], outputActivation };
}
