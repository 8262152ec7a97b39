import * as tf from '@tensorflow/tfjs-core';
import { checkNumber, TnzipError } from '@tnzip/tensor';

/**
 * Optimizer settings. Weight decay `wd` follows PyTorch: for SGD and Adam it is an L2 term added to
 * the gradient (g ← g + wd·w); AdamW decouples it (w ← w − lr·wd·w before the Adam step).
 */
export type OptimizerConfig =
  | { readonly kind: 'sgd'; readonly momentum?: number; readonly nesterov?: boolean; readonly weightDecay?: number }
  | {
      readonly kind: 'adam' | 'adamw';
      readonly beta1?: number;
      readonly beta2?: number;
      readonly eps?: number;
      readonly weightDecay?: number;
    };

/** Optimizer state for a checkpoint: the step counter and every slot tensor by name. */
export interface OptimizerState {
  readonly step: number;
  /** Slot name (`'<param path>#<slot>'`) → tensor. The tensors stay owned by the optimizer. */
  readonly slots: ReadonlyMap<string, tf.Tensor>;
}

/**
 * A first-order optimizer over named `tf.Variable`s whose state lives in `tf.Variable` slots, so a
 * checkpoint can store it bit-exactly. Every update runs inside `tf.tidy`.
 */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates each parameter that has a gradient in `grads` (keyed by parameter path) with step size `lr`. */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void;
  /** The step count and every slot tensor by parameter path, for a checkpoint. */
  state(): OptimizerState;
  /** Restores {@link Optimizer.state}; every slot must be present with its shape (CORRUPT_FILE otherwise). */
  loadState(state: { step: number; slots: ReadonlyMap<string, tf.Tensor> }): void;
  /** Disposes the slot tensors. */
  dispose(): void;
}

/**
 * Creates the optimizer for `params` (`[path, variable]`, e.g. `model.namedParameters()`).
 *
 * SGD (PyTorch semantics, dampening 0): d = g + wd·w; b ← μ·b + d; d ← d + μ·b (Nesterov) or b;
 * w ← w − lr·d.
 *
 * Adam (Kingma & Ba): t ← t + 1; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
 * w ← w − lr·(m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε). AdamW: w ← w·(1 − lr·wd) first, no L2 term.
 */
export function createOptimizer(
  params: ReadonlyArray<readonly [string, tf.Variable]>,
  config: OptimizerConfig,
): Optimizer {
  const kind = (config as { kind: unknown }).kind;
  if (kind === 'sgd') return new Sgd(params, config as Extract<OptimizerConfig, { kind: 'sgd' }>);
  if (kind === 'adam' || kind === 'adamw')
    return new Adam(params, config as Extract<OptimizerConfig, { kind: 'adam' | 'adamw' }>);
  throw new TnzipError(
    'INVALID_ARGUMENT',
    `optimizer.kind must be 'sgd', 'adam' or 'adamw', got ${JSON.stringify(kind)}`,
  );
}

abstract class SlotOptimizer implements Optimizer {
  abstract readonly config: OptimizerConfig;
  protected t = 0;
  protected readonly slotVars = new Map<string, tf.Variable>();
  protected readonly params: ReadonlyArray<readonly [string, tf.Variable]>;

  constructor(params: ReadonlyArray<readonly [string, tf.Variable]>) {
    this.params = params;
  }

  protected addSlots(names: readonly string[]): void {
    for (const [path, v] of this.params) {
      for (const s of names) {
        // The variable takes its own reference to the zeros' data, so the initial tensor can go.
        const z = tf.zeros(v.shape, v.dtype);
        this.slotVars.set(`${path}#${s}`, tf.variable(z, false));
        z.dispose();
      }
    }
  }

  protected slot(path: string, name: string): tf.Variable {
    return this.slotVars.get(`${path}#${name}`) as tf.Variable;
  }

  abstract step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void;

  state(): OptimizerState {
    return { step: this.t, slots: this.slotVars };
  }

  loadState(state: { step: number; slots: ReadonlyMap<string, tf.Tensor> }): void {
    for (const [name, v] of this.slotVars) {
      const t = state.slots.get(name);
      if (t === undefined || t.shape.join(',') !== v.shape.join(',')) {
        throw new TnzipError('CORRUPT_FILE', `optimizer state lacks slot '${name}' of shape [${v.shape.join(', ')}]`);
      }
    }
    for (const [name, v] of this.slotVars) v.assign(state.slots.get(name) as tf.Tensor);
    this.t = state.step;
  }

  dispose(): void {
    for (const v of this.slotVars.values()) v.dispose();
    this.slotVars.clear();
  }
}

function decayOf(config: { weightDecay?: number }): number {
  const wd = config.weightDecay ?? 0;
  checkNumber(wd, 'optimizer.weightDecay', 0, 1);
  return wd;
}

class Sgd extends SlotOptimizer {
  readonly config: OptimizerConfig;
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private readonly wd: number;

  constructor(
    params: ReadonlyArray<readonly [string, tf.Variable]>,
    config: Extract<OptimizerConfig, { kind: 'sgd' }>,
  ) {
    super(params);
    this.momentum = config.momentum ?? 0;
    checkNumber(this.momentum, 'optimizer.momentum', 0, 0.999999);
    this.nesterov = config.nesterov ?? false;
    if (typeof this.nesterov !== 'boolean')
      throw new TnzipError('INVALID_ARGUMENT', 'optimizer.nesterov must be a boolean');
    if (this.nesterov && this.momentum === 0)
      throw new TnzipError('INVALID_ARGUMENT', 'optimizer.nesterov needs momentum > 0');
    this.wd = decayOf(config);
    this.config = { kind: 'sgd', momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.wd };
    if (this.momentum > 0) this.addSlots(['momentum']);
  }

  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    tf.tidy(() => {
      for (const [path, w] of this.params) {
        const g = grads.get(path);
        if (g === undefined) continue;
        let d = this.wd === 0 ? g : tf.add(g, tf.mul(w, this.wd));
        if (this.momentum > 0) {
          const buf = this.slot(path, 'momentum');
          const nb = tf.add(tf.mul(buf, this.momentum), d);
          buf.assign(nb);
          d = this.nesterov ? tf.add(d, tf.mul(nb, this.momentum)) : nb;
        }
        w.assign(tf.sub(w, tf.mul(d, lr)));
      }
    });
  }
}

class Adam extends SlotOptimizer {
  readonly config: OptimizerConfig;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly decoupled: boolean;

  constructor(
    params: ReadonlyArray<readonly [string, tf.Variable]>,
    config: Extract<OptimizerConfig, { kind: 'adam' | 'adamw' }>,
  ) {
    super(params);
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.eps = config.eps ?? 1e-8;
    checkNumber(this.beta1, 'optimizer.beta1', 0, 0.999999);
    checkNumber(this.beta2, 'optimizer.beta2', 0, 0.9999999);
    checkNumber(this.eps, 'optimizer.eps', 1e-30, 1);
    this.decoupled = config.kind === 'adamw';
    this.wd = config.weightDecay ?? (this.decoupled ? 0.01 : 0);
    checkNumber(this.wd, 'optimizer.weightDecay', 0, 1);
    this.config = { kind: config.kind, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.wd };
    this.addSlots(['m', 'v']);
  }

  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      for (const [path, w] of this.params) {
        let g = grads.get(path);
        if (g === undefined) continue;
        let w0: tf.Tensor = w;
        if (this.wd !== 0) {
          if (this.decoupled) w0 = tf.mul(w, 1 - lr * this.wd);
          else g = tf.add(g, tf.mul(w, this.wd));
        }
        const m = this.slot(path, 'm');
        const v = this.slot(path, 'v');
        const nm = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const nv = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(nm);
        v.assign(nv);
        const upd = tf.div(tf.div(nm, c1), tf.add(tf.sqrt(tf.div(nv, c2)), this.eps));
        w.assign(tf.sub(w0, tf.mul(upd, lr)));
      }
    });
  }
}
