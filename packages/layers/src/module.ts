import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';

/**
 * Shapes in tnzip exclude the batch axis: an image is `[H, W, C]` (NHWC), a feature
 * vector `[F]`.
 */
export type Shape = readonly number[];

/** Cost of one forward pass of one example. */
export interface Cost {
  /** Trainable scalars (non-trainable buffers such as BatchNorm running statistics excluded). */
  readonly params: number;
  /** Multiply-accumulates of the conv / linear / factor contractions (not BN, pooling, activations, additions). */
  readonly macs: number;
  /** Output shape without the batch axis. */
  readonly outputShape: Shape;
}

/** Options of {@link Module.apply}. */
export interface ApplyOptions {
  /** Training mode: dropout active, BatchNorm uses and updates batch statistics. Default false. */
  readonly training?: boolean;
  /** Full paths (`'features.conv1'`) of modules whose outputs are returned as well. */
  readonly capture?: readonly string[];
}

/** What {@link Module.apply} returns when `capture` is given. */
export interface CaptureResult {
  readonly output: tf.Tensor;
  /** Output of each captured module, by full path. The caller owns these tensors. */
  readonly captured: ReadonlyMap<string, tf.Tensor>;
}

/** The per-call context threaded through {@link Module.forward}. */
export interface ForwardContext {
  readonly training: boolean;
  /** Full path of the module being run (`''` at the root). */
  readonly path: string;
  /** Records the output of `path` when it was asked for. */
  readonly record: (path: string, output: tf.Tensor) => void;
  /** True when intermediate outputs are captured; layers then run unfused, one module at a time. */
  readonly capturing?: boolean;
}

/**
 * A module's non-parameter state as JSON (e.g. Dropout's call counter, on which its next mask
 * depends): what a checkpoint must carry besides the parameters and buffers to resume exactly.
 */
export type ModuleState = null | boolean | number | string | ModuleState[] | { [key: string]: ModuleState };

/** The JSON that describes a module's architecture in `model.json`; `kind` selects the factory. */
export interface ModuleConfig {
  readonly kind: string;
  readonly name: string;
  readonly [key: string]: unknown;
}

/**
 * A network building block: named `tf.Variable` parameters, child modules, a forward pass,
 * a cost model and a serializable config.
 *
 * Subclasses implement {@link Module.forward}, {@link Module.cost} and {@link Module.config},
 * register parameters with {@link Module.addParam} / {@link Module.addBuffer} and children with
 * {@link Module.addChild}.
 */
export abstract class Module {
  /** Local name; the full path of a module is its ancestors' names joined by '.'. */
  readonly name: string;
  /** Stable kind tag used by model files, e.g. `'conv2d'`, `'tucker2-conv2d'`. */
  abstract readonly kind: string;

  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly ownChildren: Module[] = [];

  constructor(name: string) {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `module name must be a non-empty string without '.', got '${String(name)}'`,
      );
    }
    this.name = name;
  }

  /** Registers a trainable parameter under `key` (e.g. `'weight'`). */
  protected addParam(key: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, true, uniqueVarName(`${this.name}/${key}`));
    this.ownParams.set(key, v);
    return v;
  }

  /** Registers a non-trainable state tensor (running statistics, cached weights). */
  protected addBuffer(key: string, value: tf.Tensor): tf.Variable {
    const v = tf.variable(value, false, uniqueVarName(`${this.name}/${key}`));
    this.ownBuffers.set(key, v);
    return v;
  }

  /** Registers a child module; its name must be unique among this module's children. */
  protected addChild<M extends Module>(child: M): M {
    if (this.ownChildren.some((c) => c.name === child.name)) {
      throw new TnzipError('INVALID_ARGUMENT', `module '${this.name}' already has a child named '${child.name}'`);
    }
    this.ownChildren.push(child);
    return child;
  }

  /**
   * Replaces the direct child named `name` by `child` (same position); used to swap a dense
   * layer for its factorized version. The old child is returned, not disposed.
   */
  replaceChild(name: string, child: Module): Module {
    const i = this.ownChildren.findIndex((c) => c.name === name);
    if (i < 0) throw new TnzipError('NOT_FOUND', `module '${this.name}' has no child named '${name}'`);
    if (child.name !== name) {
      throw new TnzipError('INVALID_ARGUMENT', `replacement for '${name}' must keep the name, got '${child.name}'`);
    }
    const old = this.ownChildren[i] as Module;
    this.ownChildren[i] = child;
    return old;
  }

  /** Direct children, in registration order. */
  children(): readonly Module[] {
    return this.ownChildren;
  }

  /** This module's own trainable parameters by key (children excluded). */
  params(): ReadonlyMap<string, tf.Variable> {
    return this.ownParams;
  }

  /** This module's own buffers by key (children excluded). */
  buffers(): ReadonlyMap<string, tf.Variable> {
    return this.ownBuffers;
  }

  /** Every trainable parameter of the subtree as `[path, variable]`, e.g. `['conv1.weight', v]`. */
  namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [k, v] of this.ownParams) out.push([`${prefix}${k}`, v]);
    for (const c of this.ownChildren) out.push(...c.namedParameters(`${prefix}${c.name}.`));
    return out;
  }

  /** Every buffer of the subtree as `[path, variable]`. */
  namedBuffers(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [k, v] of this.ownBuffers) out.push([`${prefix}${k}`, v]);
    for (const c of this.ownChildren) out.push(...c.namedBuffers(`${prefix}${c.name}.`));
    return out;
  }

  /** Every module of the subtree with its full path (the root's path is `''`), depth first. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const c of this.ownChildren) out.push(...c.namedModules(prefix === '' ? c.name : `${prefix}.${c.name}`));
    return out;
  }

  /**
   * The forward pass of this module alone, given the context. Implementations call
   * {@link Module.call} on their children (never `forward` directly) so that captures work.
   *
   * @param x a batch: `[N, ...inputShape]`
   */
  abstract forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor;

  /** Cost of one example with input shape `inputShape` (no batch axis). */
  abstract cost(inputShape: Shape): Cost;

  /** The JSON config from which the module's factory rebuilds it (weights excluded). */
  abstract config(): ModuleConfig;

  /** Runs a child inside this module's forward pass, recording its output if captured. */
  protected call(child: Module, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const path = ctx.path === '' ? child.name : `${ctx.path}.${child.name}`;
    const out = child.forward(x, { ...ctx, path });
    ctx.record(path, out);
    return out;
  }

  /**
   * Runs the network on a batch. Without `capture` it returns the output tensor; with
   * `capture` it returns the output and the captured intermediate outputs. All
   * intermediates other than those are disposed.
   */
  apply(x: tf.Tensor, options?: ApplyOptions & { capture?: undefined }): tf.Tensor;
  apply(x: tf.Tensor, options: ApplyOptions & { capture: readonly string[] }): CaptureResult;
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor | CaptureResult {
    const training = options.training ?? false;
    const capture = options.capture;
    if (capture === undefined) {
      return tf.tidy(() => this.forward(x, { training, path: '', record: () => {} }));
    }
    const known = new Set(this.namedModules().map(([p]) => p));
    for (const p of capture) {
      if (!known.has(p))
        throw new TnzipError(
          'NOT_FOUND',
          `capture: no module at path '${p}' (known: ${[...known].filter((k) => k !== '').join(', ')})`,
        );
    }
    const wanted = new Set(capture);
    const kept: tf.Tensor[] = [];
    const captured = new Map<string, tf.Tensor>();
    const output = tf.tidy(() => {
      const out = this.forward(x, {
        training,
        capturing: true,
        path: '',
        record: (path, t) => {
          if (wanted.has(path)) {
            const k = tf.keep(t.clone());
            kept.push(k);
            captured.set(path, k);
          }
        },
      });
      return out;
    });
    return { output, captured };
  }

  /** Copies of every parameter and buffer by path. The caller owns the tensors. */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [k, v] of [...this.namedParameters(), ...this.namedBuffers()]) out.set(k, v.clone());
    return out;
  }

  /**
   * Assigns parameters and buffers from `state` (by path). Every path must be present with
   * the variable's exact shape, and no unknown path may appear (SHAPE_MISMATCH / NOT_FOUND).
   */
  loadStateDict(state: ReadonlyMap<string, tf.Tensor>): void {
    const vars = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    for (const k of state.keys()) {
      if (!vars.has(k)) throw new TnzipError('NOT_FOUND', `state dict has unknown entry '${k}'`);
    }
    for (const [k, v] of vars) {
      const t = state.get(k);
      if (t === undefined) throw new TnzipError('NOT_FOUND', `state dict is missing '${k}'`);
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new TnzipError(
          'SHAPE_MISMATCH',
          `state dict entry '${k}' has shape [${t.shape.join(', ')}], expected [${v.shape.join(', ')}]`,
        );
      }
    }
    for (const [k, v] of vars) v.assign(state.get(k) as tf.Tensor);
  }

  /**
   * This module's own non-parameter state (children excluded), or `undefined` when it has none
   * (the default). Modules whose forward pass depends on something other than their parameters
   * and buffers — a random-stream counter — override this and {@link Module.setState}.
   */
  getState(): ModuleState | undefined {
    return undefined;
  }

  /**
   * Restores what {@link Module.getState} returned.
   *
   * @throws TnzipError `INVALID_ARGUMENT` when the module has no state or `state` has the wrong form.
   */
  setState(state: ModuleState): void {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `module '${this.name}' (${this.kind}) has no state to set, got ${JSON.stringify(state)}`,
    );
  }

  /** {@link Module.getState} of every module of the subtree that has state, by full path (as {@link Module.namedModules}). */
  namedStates(): Map<string, ModuleState> {
    const out = new Map<string, ModuleState>();
    for (const [p, m] of this.namedModules()) {
      const s = m.getState();
      if (s !== undefined) out.set(p, s);
    }
    return out;
  }

  /**
   * Restores {@link Module.namedStates}. Paths absent from `states` keep their state; every path
   * given is checked before any is set.
   *
   * @throws TnzipError `NOT_FOUND` for a path that names no module with state; `INVALID_ARGUMENT`
   *   (from {@link Module.setState}) for a state of the wrong form.
   */
  loadNamedStates(states: ReadonlyMap<string, ModuleState>): void {
    const withState = new Map(this.namedModules().filter(([, m]) => m.getState() !== undefined));
    for (const p of states.keys())
      if (!withState.has(p)) throw new TnzipError('NOT_FOUND', `no module with state at path '${p}'`);
    for (const [p, s] of states) (withState.get(p) as Module).setState(s);
  }

  /** Disposes every parameter and buffer of the subtree. */
  dispose(): void {
    for (const [, v] of [...this.namedParameters(), ...this.namedBuffers()]) v.dispose();
  }
}

let varCounter = 0;
function uniqueVarName(base: string): string {
  varCounter += 1;
  return `${base}_${varCounter}`;
}
