import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import type { Shape } from '../module.js';

/** A value of the Keras graph being written: the layer that produces it and its per-example shape. */
export interface KerasRef {
  readonly name: string;
  readonly shape: Shape;
}

/** How one tnzip layer was written (see {@link ExportReport}). */
export interface ExportedLayer {
  /** Path of the tnzip module. */
  readonly path: string;
  readonly kind: string;
  /** `'factorized'`: as a chain of stock layers; `'reconstructed'`: its dense weight (factorized form lost); `'dense'`: a dense layer as it was. */
  readonly form: 'factorized' | 'reconstructed' | 'dense';
  /** The Keras layers written for it. */
  readonly kerasLayers: readonly string[];
  /** Trainable scalars of the tnzip layer. */
  readonly params: number;
  /** Scalars written for it (kernels and biases; more than `params` when the stock form is larger). */
  readonly exportedParams: number;
}

interface LayerEntry {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: unknown[];
}

/**
 * Accumulates a Keras functional model (topology JSON + named weights) layer by layer, in the
 * form tfjs-layers' `model.toJSON()` writes, so that `tf.loadLayersModel` reads it with stock
 * layers only. It owns copies of the weights given to it until {@link KerasModelBuilder.dispose}.
 */
export class KerasModelBuilder {
  readonly input: KerasRef;
  private readonly layers: LayerEntry[] = [];
  private readonly names = new Set<string>();
  private readonly weights: Array<{ name: string; tensor: tf.Tensor }> = [];
  private readonly modelName: string;

  constructor(modelName: string, inputName: string, inputShape: Shape) {
    this.modelName = modelName;
    const name = this.unique(inputName);
    this.layers.push({
      class_name: 'InputLayer',
      name,
      config: { batch_input_shape: [null, ...inputShape], dtype: 'float32', sparse: false, name },
      inbound_nodes: [],
    });
    this.input = { name, shape: [...inputShape] };
  }

  /** `base`, or `base_2`, `base_3`, … when taken (Keras layer names are unique in a model). */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_-]/g, '_');
    let name = clean;
    for (let i = 2; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  /**
   * Appends a stock Keras layer `className` reading `inputs`, with `config` (snake_case, as
   * Keras serializes it; name/trainable/dtype are added) and weights `[key, tensor]` stored as
   * `<name>/<key>` (copied). Returns the layer's output.
   */
  layer(
    className: string,
    baseName: string,
    config: Record<string, unknown>,
    inputs: readonly KerasRef[],
    outputShape: Shape,
    weights: ReadonlyArray<readonly [string, tf.Tensor]> = [],
  ): KerasRef {
    const name = this.unique(baseName);
    this.layers.push({
      class_name: className,
      name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      inbound_nodes: [inputs.map((x) => [x.name, 0, 0, {}])],
    });
    for (const [key, t] of weights) this.weights.push({ name: `${name}/${key}`, tensor: tf.keep(t.clone()) });
    return { name, shape: [...outputShape] };
  }

  /** Scalars written so far by layers whose names are in `layers`. */
  paramsOf(layers: readonly string[]): number {
    const set = new Set(layers);
    return this.weights
      .filter((w) => set.has(w.name.slice(0, w.name.lastIndexOf('/'))))
      .reduce((a, w) => a + w.tensor.size, 0);
  }

  /** Names of the layers added after the first `from` ones. */
  layersSince(from: number): string[] {
    return this.layers.slice(from).map((l) => l.name);
  }

  get layerCount(): number {
    return this.layers.length;
  }

  /** The model's topology and float32 weights (`tf.io.encodeWeights`) with `output` as its output. */
  async build(output: KerasRef): Promise<tf.io.ModelArtifacts> {
    if (!this.names.has(output.name))
      throw new TnzipError('INVALID_ARGUMENT', `export: unknown output '${output.name}'`);
    const inputName = (this.layers[0] as LayerEntry).name;
    const modelTopology = {
      class_name: 'Model',
      config: {
        name: this.modelName,
        layers: this.layers,
        input_layers: [[inputName, 0, 0]],
        output_layers: [[output.name, 0, 0]],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    };
    const { data, specs } = await tf.io.encodeWeights(this.weights);
    return {
      modelTopology: modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: specs,
      weightData: data,
      format: 'layers-model',
      generatedBy: '@tnzip/layers',
      convertedBy: null,
    };
  }

  /** Releases the weight copies. */
  dispose(): void {
    for (const w of this.weights) w.tensor.dispose();
    this.weights.length = 0;
  }
}
