import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import type { onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import type { Shape } from '../module.js';

/** The ONNX operator set the export targets (the default domain). */
export const ONNX_OPSET = 13;
/** IR version 7 is the first that opset 13 may be used with. */
const IR_VERSION = 7;
const FLOAT = 1;
const INT64 = 7;

/**
 * A value of the ONNX graph being written. `shape` is the per-example shape in tnzip's order
 * (NHWC for images, no batch axis); `layout` says how the tensor is actually stored: `'nchw'`
 * (a rank-3 image value transposed to ONNX's channels-first, as Conv reads it) or `'plain'`
 * (the tnzip order itself).
 */
export interface OnnxRef {
  readonly name: string;
  readonly shape: Shape;
  readonly layout: 'nchw' | 'plain';
}

/** One attribute of a node: integer(s), float or string, as ONNX types them. */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number };

export const int = (value: number): OnnxAttribute => ({ kind: 'int', value });
export const ints = (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value });
export const float = (value: number): OnnxAttribute => ({ kind: 'float', value });

interface Initializer {
  readonly name: string;
  readonly tensor: tf.Tensor | null;
  readonly int64: readonly number[] | null;
  readonly dims: readonly number[];
  /** Scalars of a model weight (counted in the export report); constants (shapes, pads) count 0. */
  readonly params: number;
}

const ATTRIBUTE_TYPE = { int: 2, ints: 7, float: 1 } as const;

/**
 * Accumulates an ONNX graph (opset {@link ONNX_OPSET}) node by node and encodes it as a
 * `ModelProto` with the `onnx-proto` message classes (protobufjs code generated from the
 * official `onnx.proto`). The input has a symbolic batch axis `N`. It owns copies of the weights
 * given to it until {@link OnnxGraphBuilder.dispose}.
 */
export class OnnxGraphBuilder {
  readonly input: OnnxRef;
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inits: Initializer[] = [];
  private readonly names = new Set<string>();
  private readonly graphName: string;

  constructor(graphName: string, inputName: string, inputShape: Shape) {
    this.graphName = graphName;
    this.input = { name: this.unique(inputName), shape: [...inputShape], layout: 'plain' };
  }

  /** `base`, or `base_2`, … when taken (ONNX value names are unique in a graph). */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_') || 'v';
    let name = clean;
    for (let i = 2; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Appends a node `opType(inputs)` with `attributes`; returns the name of its output. */
  node(
    opType: string,
    inputs: readonly string[],
    base: string,
    attributes: Record<string, OnnxAttribute> = {},
  ): string {
    const output = this.unique(base);
    this.nodes.push({
      opType,
      name: output,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([name, a]) => attributeProto(name, a)),
    });
    return output;
  }

  /** A float32 weight initializer (a copy of `t`, reshaped to `dims` when given); returns its name. */
  weight(base: string, t: tf.Tensor, dims: readonly number[] = t.shape): string {
    const name = this.unique(base);
    const size = dims.reduce((a, d) => a * d, 1);
    if (size !== t.size)
      throw new TnzipError('SHAPE_MISMATCH', `OnnxGraphBuilder.weight: dims [${dims}] do not hold ${t.size} scalars`);
    this.inits.push({ name, tensor: tf.keep(t.clone()), int64: null, dims: [...dims], params: t.size });
    return name;
  }

  /** A float32 constant that is not a model weight (Clip bounds): not counted as exported params. */
  constant(base: string, values: readonly number[], dims: readonly number[] = []): string {
    const name = this.unique(base);
    this.inits.push({ name, tensor: tf.keep(tf.tensor(values, [...dims])), int64: null, dims: [...dims], params: 0 });
    return name;
  }

  /** An int64 vector constant (Reshape shapes, Pad pads); returns its name. */
  int64(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.inits.push({ name, tensor: null, int64: [...values], dims: [values.length], params: 0 });
    return name;
  }

  /** How many nodes and initializers exist, to attribute later ones to a layer. */
  mark(): { nodes: number; inits: number } {
    return { nodes: this.nodes.length, inits: this.inits.length };
  }

  /** Op types of the nodes written since `m`, and the weight scalars of the initializers since `m`. */
  since(m: { nodes: number; inits: number }): { ops: string[]; params: number } {
    return {
      ops: this.nodes.slice(m.nodes).map((n) => n.opType as string),
      params: this.inits.slice(m.inits).reduce((a, i) => a + i.params, 0),
    };
  }

  /** The op type of every node, in order. */
  get opTypes(): string[] {
    return this.nodes.map((n) => n.opType as string);
  }

  /** The encoded `ModelProto` with `output` (in plain layout) as the graph output. */
  async build(output: OnnxRef): Promise<Uint8Array> {
    if (output.layout !== 'plain')
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `OnnxGraphBuilder.build: output '${output.name}' must be in plain layout`,
      );
    const initializer: onnx.ITensorProto[] = [];
    for (const i of this.inits) {
      if (i.int64 !== null) {
        initializer.push({ name: i.name, dataType: INT64, dims: [...i.dims], int64Data: [...i.int64] });
      } else {
        const data = (await (i.tensor as tf.Tensor).data()) as Float32Array;
        const raw = new Uint8Array(data.byteLength);
        const view = new DataView(raw.buffer);
        for (let k = 0; k < data.length; k++) view.setFloat32(4 * k, data[k] as number, true);
        initializer.push({ name: i.name, dataType: FLOAT, dims: [...i.dims], rawData: raw });
      }
    }
    const { onnx: o } = onnxProto;
    const model = o.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: '@tnzip/layers',
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer,
        input: [valueInfo(this.input.name, this.input.shape)],
        output: [valueInfo(output.name, output.shape)],
      },
    });
    return o.ModelProto.encode(model).finish();
  }

  /** Releases the weight copies. */
  dispose(): void {
    for (const i of this.inits) i.tensor?.dispose();
    this.inits.length = 0;
  }
}

function attributeProto(name: string, a: OnnxAttribute): onnx.IAttributeProto {
  const type = ATTRIBUTE_TYPE[a.kind];
  if (a.kind === 'int') return { name, type, i: a.value };
  if (a.kind === 'float') return { name, type, f: a.value };
  return { name, type, ints: [...a.value] };
}

function valueInfo(name: string, shape: Shape): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] },
      },
    },
  };
}
