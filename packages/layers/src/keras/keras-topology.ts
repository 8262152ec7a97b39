import { TnzipError } from '@tnzip/tensor';

/** One Keras layer of a LayersModel topology, with the names of the layers it reads. */
export interface KerasLayerSpec {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the layers whose outputs this layer reads (empty for the InputLayer). */
  readonly inputs: readonly string[];
}

/** A single-input, single-output Keras topology, layers in topological order (the input first). */
export interface KerasTopology {
  /** Name of the model (Keras `config.name`). */
  readonly name: string;
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  /** Every layer but the InputLayer, in an order where a layer comes after the layers it reads. */
  readonly layers: readonly KerasLayerSpec[];
  readonly output: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function bad(message: string): TnzipError {
  return new TnzipError('CORRUPT_FILE', `LayersModel topology: ${message}`);
}

/**
 * Reads the `modelTopology` of a tfjs LayersModel (`model.json`): a Keras `Sequential` or a
 * functional `Model`/`Functional`, as tfjs-layers and `tensorflowjs_converter` write it (also
 * wrapped in `model_config`). CORRUPT_FILE for a malformed topology; INVALID_ARGUMENT for a
 * model tnzip cannot represent (several inputs or outputs, a layer used twice, a nested model).
 */
export function parseKerasTopology(raw: unknown): KerasTopology {
  let top = raw;
  if (isObj(top) && isObj(top.model_config)) top = top.model_config;
  if (!isObj(top) || typeof top.class_name !== 'string')
    throw bad('expected an object with class_name (is this a tfjs GraphModel rather than a LayersModel?)');
  const cls = top.class_name;
  if (cls === 'Sequential') return parseSequential(top.config);
  if (cls === 'Model' || cls === 'Functional') return parseFunctional(top.config);
  throw bad(`class_name '${cls}' is neither Sequential nor Model/Functional`);
}

function layerEntry(l: unknown, i: number): { className: string; name: string; config: Json; raw: Json } {
  if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config))
    throw bad(`layer #${i} must be an object with class_name and config`);
  const name = typeof l.name === 'string' ? l.name : l.config.name;
  if (typeof name !== 'string' || name === '') throw bad(`layer #${i} (${l.class_name}) has no name`);
  return { className: l.class_name, name, config: l.config, raw: l };
}

/** The per-example shape of a `batch_input_shape` / `batch_shape` (its first entry is the batch axis). */
function inputShapeOf(config: Json, who: string): number[] {
  const b = config.batch_input_shape ?? config.batch_shape ?? config.batchInputShape;
  if (!Array.isArray(b) || b.length < 2 || !b.slice(1).every((d) => Number.isInteger(d) && (d as number) >= 1))
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `LayersModel input '${who}': batch_input_shape must be [null, d1, …] with every d >= 1 known, got ${JSON.stringify(b)}`,
    );
  return b.slice(1) as number[];
}

function parseSequential(config: unknown): KerasTopology {
  const layersRaw = Array.isArray(config) ? config : isObj(config) ? config.layers : undefined;
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) throw bad('Sequential config must list its layers');
  const entries = layersRaw.map(layerEntry);
  const first = entries[0] as (typeof entries)[number];
  const hasInput = first.className === 'InputLayer';
  const input = {
    name: hasInput ? first.name : `${first.name}_input`,
    shape: inputShapeOf(first.config, first.name),
  };
  const layers: KerasLayerSpec[] = [];
  let prev = input.name;
  for (const e of hasInput ? entries.slice(1) : entries) {
    layers.push({ className: e.className, name: e.name, config: e.config, inputs: [prev] });
    prev = e.name;
  }
  const name = isObj(config) && typeof config.name === 'string' ? config.name : 'sequential';
  return { name, input, layers, output: prev };
}

/** Layer names read by one inbound node, in the Keras 2 (`[[name, 0, 0, {}], …]`) or Keras 3 (`{args: …}`) form. */
function inboundNames(node: unknown, who: string): string[] {
  if (Array.isArray(node)) {
    return node.map((t) => {
      if (!Array.isArray(t) || typeof t[0] !== 'string') throw bad(`layer '${who}': malformed inbound node`);
      if (t[2] !== undefined && t[2] !== 0)
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `LayersModel layer '${who}' reads output #${String(t[2])} of '${t[0]}'; only single-output layers are supported`,
        );
      return t[0];
    });
  }
  if (isObj(node)) {
    const names: string[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (isObj(v)) {
        const h = isObj(v.config) ? v.config.keras_history : undefined;
        if (v.class_name === '__keras_tensor__' && Array.isArray(h) && typeof h[0] === 'string') names.push(h[0]);
        else Object.values(v).forEach(visit);
      }
    };
    visit(node.args);
    return names;
  }
  throw bad(`layer '${who}': malformed inbound node`);
}

function endpoints(v: unknown, what: string): string {
  const list = Array.isArray(v) && v.length > 0 && !Array.isArray(v[0]) ? [v] : v;
  if (!Array.isArray(list) || list.length !== 1)
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `LayersModel: only models with one ${what} are supported, got ${JSON.stringify(v)}`,
    );
  const e = list[0];
  if (!Array.isArray(e) || typeof e[0] !== 'string') throw bad(`malformed ${what}_layers`);
  return e[0];
}

function parseFunctional(config: unknown): KerasTopology {
  if (!isObj(config) || !Array.isArray(config.layers)) throw bad('Model config must list its layers');
  const inputName = endpoints(config.input_layers, 'input');
  const output = endpoints(config.output_layers, 'output');
  const specs = new Map<string, KerasLayerSpec>();
  let input: KerasTopology['input'] | null = null;
  config.layers.forEach((l, i) => {
    const e = layerEntry(l, i);
    if (specs.has(e.name) || input?.name === e.name) throw bad(`layer name '${e.name}' appears twice`);
    const inbound = Array.isArray(e.raw.inbound_nodes) ? e.raw.inbound_nodes : [];
    if (e.className === 'InputLayer') {
      if (e.name !== inputName)
        throw new TnzipError(
          'INVALID_ARGUMENT',
          `LayersModel: only models with one input are supported (extra input '${e.name}')`,
        );
      input = { name: e.name, shape: inputShapeOf(e.config, e.name) };
      return;
    }
    if (inbound.length !== 1)
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `LayersModel layer '${e.name}' (${e.className}) is called ${inbound.length} times; only layers called once are supported`,
      );
    specs.set(e.name, {
      className: e.className,
      name: e.name,
      config: e.config,
      inputs: inboundNames(inbound[0], e.name),
    });
  });
  if (input === null) throw bad(`input layer '${inputName}' is not among the layers`);
  const inName = (input as KerasTopology['input']).name;
  // Topological order (Keras lists layers in one already; this also rejects cycles and dangling names).
  const done = new Set([inName]);
  const layers: KerasLayerSpec[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const s = specs.get(name);
    if (s === undefined) throw bad(`a layer reads '${name}', which is not a layer of the model`);
    if (visiting.has(name)) throw bad(`layer '${name}' is part of a cycle`);
    visiting.add(name);
    for (const i of s.inputs) visit(i);
    visiting.delete(name);
    done.add(name);
    layers.push(s);
  };
  visit(output);
  const name = typeof config.name === 'string' ? config.name : 'model';
  return { name, input: input as KerasTopology['input'], layers, output };
}
