import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { createModule, registerModule } from '../registry.js';
import { field, isAny } from './checks.js';
import { releaseFolds } from './fusion.js';
import { Merge } from './merge.js';

/** One node of a {@link Graph}: a module and the names of the values it reads. */
export interface GraphNode {
  readonly module: Module;
  /** Names of the graph input or of earlier nodes; exactly one unless the module is a {@link Merge}. */
  readonly inputs: readonly string[];
}

/** Options of {@link Graph}. */
export interface GraphOptions {
  /** Name of the graph's single input value (Keras: the InputLayer's name). */
  readonly input: string;
  /** Per-example input shape (batch axis excluded). */
  readonly inputShape: Shape;
  /** In topological order: a node reads only the input and earlier nodes. */
  readonly nodes: readonly GraphNode[];
  /** Name of the node (or the input) whose value is the graph's output. */
  readonly output: string;
  /**
   * An activation the original model applied to its output, kept for export and not applied
   * by `forward`: tnzip modules return logits, which fine-tuning's softmax cross-entropy needs.
   * Default `'none'`.
   */
  readonly outputActivation?: 'none' | 'softmax';
}

/**
 * A directed acyclic graph of modules with one input and one output (a Keras functional
 * `Model`): branches, `Add`, `Concatenate`. Node modules are the children, so their paths are
 * their names (`'conv2d_1'`), and `replaceChild` (factorization) swaps a node's module.
 * Cost: the sum of the nodes' costs along the propagated shapes.
 */
export class Graph extends Module {
  readonly kind = 'graph';
  readonly input: string;
  readonly inputShape: Shape;
  readonly output: string;
  readonly outputActivation: 'none' | 'softmax';
  /** Node names and their inputs, in topological order. */
  readonly edges: ReadonlyArray<{ readonly name: string; readonly inputs: readonly string[] }>;

  constructor(name: string, options: GraphOptions) {
    super(name);
    const who = `Graph '${name}'`;
    if (typeof options.input !== 'string' || options.input === '')
      throw new TnzipError('INVALID_ARGUMENT', `${who}: input must be a non-empty name`);
    if (!Array.isArray(options.inputShape) || !options.inputShape.every((d) => Number.isInteger(d) && d >= 1))
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${who}: inputShape must be integers >= 1, got ${JSON.stringify(options.inputShape)}`,
      );
    const known = new Set([options.input]);
    for (const { module, inputs } of options.nodes) {
      if (known.has(module.name))
        throw new TnzipError('INVALID_ARGUMENT', `${who}: node name '${module.name}' is used twice`);
      if (!Array.isArray(inputs) || inputs.length === 0 || (inputs.length > 1 && !(module instanceof Merge)))
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `${who}: node '${module.name}' (${module.kind}) must have ${module instanceof Merge ? 'at least one input' : 'exactly one input'}, got ${JSON.stringify(inputs)}`,
        );
      for (const i of inputs)
        if (!known.has(i))
          throw new TnzipError(
            'INVALID_ARGUMENT',
            `${who}: node '${module.name}' reads '${i}', which is neither the input nor an earlier node`,
          );
      known.add(module.name);
      this.addChild(module);
    }
    if (!known.has(options.output))
      throw new TnzipError('INVALID_ARGUMENT', `${who}: output '${options.output}' is not a node`);
    const act = options.outputActivation ?? 'none';
    if (act !== 'none' && act !== 'softmax')
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${who}: outputActivation must be 'none' or 'softmax', got ${String(act)}`,
      );
    this.input = options.input;
    this.inputShape = [...options.inputShape];
    this.output = options.output;
    this.outputActivation = act;
    this.edges = options.nodes.map((n) => ({ name: n.module.name, inputs: [...n.inputs] }));
  }

  /** The node modules by name (current children: replaceChild may have swapped some). */
  modules(): Map<string, Module> {
    return new Map(this.children().map((c) => [c.name, c]));
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const mods = this.modules();
    const values = new Map<string, tf.Tensor>([[this.input, x]]);
    for (const { name, inputs } of this.edges) {
      const m = mods.get(name) as Module;
      const xs = inputs.map((i) => values.get(i) as tf.Tensor);
      let y: tf.Tensor;
      if (m instanceof Merge) {
        y = m.merge(xs);
        ctx.record(ctx.path === '' ? name : `${ctx.path}.${name}`, y);
      } else {
        y = this.call(m, xs[0] as tf.Tensor, ctx);
      }
      values.set(name, y);
    }
    return values.get(this.output) as tf.Tensor;
  }

  /** Per-example output shape of every value (the input and each node) for an input of `inputShape`. */
  shapes(inputShape: Shape = this.inputShape): Map<string, Shape> {
    return this.walk(inputShape).shapes;
  }

  private walk(inputShape: Shape): { shapes: Map<string, Shape>; params: number; macs: number } {
    const mods = this.modules();
    const shapes = new Map<string, Shape>([[this.input, inputShape]]);
    let params = 0;
    let macs = 0;
    for (const { name, inputs } of this.edges) {
      const m = mods.get(name) as Module;
      const ins = inputs.map((i) => shapes.get(i) as Shape);
      const c = m instanceof Merge ? m.mergeCost(ins) : m.cost(ins[0] as Shape);
      params += c.params;
      macs += c.macs;
      shapes.set(name, c.outputShape);
    }
    return { shapes, params, macs };
  }

  cost(inputShape: Shape): Cost {
    const { shapes, params, macs } = this.walk(inputShape);
    return { params, macs, outputShape: shapes.get(this.output) as Shape };
  }

  /** Disposes every parameter and buffer of the subtree and its cached inference weights. */
  override dispose(): void {
    releaseFolds(this);
    super.dispose();
  }

  config(): ModuleConfig {
    const mods = this.modules();
    return {
      kind: this.kind,
      name: this.name,
      input: this.input,
      inputShape: this.inputShape,
      output: this.output,
      outputActivation: this.outputActivation,
      nodes: this.edges.map(({ name, inputs }) => ({ inputs, module: (mods.get(name) as Module).config() })),
    };
  }
}

registerModule('graph', (c) => {
  const nodes = field<Array<{ inputs: string[]; module: ModuleConfig }>>(c, 'nodes', Array.isArray, 'an array');
  return new Graph(c.name, {
    input: field<string>(c, 'input', (v) => typeof v === 'string', 'a string'),
    inputShape: field<number[]>(c, 'inputShape', Array.isArray, 'a shape'),
    output: field<string>(c, 'output', (v) => typeof v === 'string', 'a string'),
    outputActivation: field<'none' | 'softmax'>(c, 'outputActivation', isAny, "'none' or 'softmax'"),
    nodes: nodes.map((n) => {
      if (n === null || typeof n !== 'object' || !Array.isArray(n.inputs))
        throw new TnzipError('CORRUPT_FILE', `config of '${c.name}' (graph): every node needs 'inputs' and 'module'`);
      return { inputs: n.inputs, module: createModule(n.module) };
    }),
  });
});
