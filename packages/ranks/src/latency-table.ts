import * as tf from '@tensorflow/tfjs-core';
import {
  type Execution,
  type ExecutionTarget,
  FactorizedModule,
  factorizedKindOfModule,
  factorizeLayer,
  type LayerPlan,
  type Module,
  type Shape,
  type TimingOptions,
  timeInterleaved,
} from '@tnzip/layers';

/** One measured row of a {@link LatencyTable}. */
export interface LatencyEntry {
  /** Estimated ms per batch of the layer in its fastest execution: `ratio · denseMs`. */
  readonly ms: number;
  /** Time relative to the dense layer, timed interleaved with it in the same run (load-robust). */
  readonly ratio: number;
  /** The fastest execution (`'dense'` for a dense plan). */
  readonly execution: Execution;
  /** The dense layer's median ms per batch in the run that measured this row. */
  readonly denseMs: number;
}

/** What a latency row is keyed by. */
export interface LatencyKey extends ExecutionTarget {
  /** The layer's input shape (no batch axis). */
  readonly shape: Shape;
  /** Dense layer kind and geometry (`conv2d 20→50 k5x5 s1x1 valid`), so equal layers share rows. */
  readonly layer: string;
  /** The plan (`{ kind: 'dense' }` for the dense layer). */
  readonly plan: LayerPlan;
  readonly batch: number;
}

/** A stable text key of `k`. */
export function latencyKey(k: LatencyKey): string {
  return JSON.stringify([k.backend, k.threads, k.batch, k.layer, [...k.shape], k.plan]);
}

/** The part of a dense layer's config that decides its speed (everything but its name and seed). */
export function layerSignature(layer: Module): string {
  const { name: _n, seed: _s, ...rest } = layer.config() as Record<string, unknown>;
  return JSON.stringify(rest);
}

/**
 * Per-layer latency measured on the active backend, cached by (backend, threads, batch, layer
 * geometry, input shape, plan): a selector asks for the same rows many times, and equal layers
 * (ResNet blocks) share them. Serializable (`toJSON` / `fromJSON`) so a run can keep it.
 */
export class LatencyTable {
  private readonly rows = new Map<string, LatencyEntry>();
  /** Rows measured (not read from the cache) since construction. */
  measured = 0;

  get size(): number {
    return this.rows.size;
  }

  /** The row measured for `key`, or `undefined` when none was. */
  get(key: LatencyKey): LatencyEntry | undefined {
    return this.rows.get(latencyKey(key));
  }

  /** Stores `entry` as the row of `key` (replacing any earlier one). */
  set(key: LatencyKey, entry: LatencyEntry): void {
    this.rows.set(latencyKey(key), entry);
  }

  /** Every row as `[key string, entry]` pairs, for `JSON.stringify`. */
  toJSON(): Array<[string, LatencyEntry]> {
    return [...this.rows];
  }

  /** A table holding the rows of an earlier `toJSON()`. */
  static fromJSON(rows: ReadonlyArray<readonly [string, LatencyEntry]>): LatencyTable {
    const t = new LatencyTable();
    for (const [k, v] of rows) t.rows.set(k, v);
    return t;
  }

  /**
   * The row of `plan` on the dense `layer` (input `shape`, batch `batch`), measured if absent:
   * the factorized layer (`factorizeLayer`) is timed in each execution its kind declares,
   * interleaved with the dense layer, on seeded random inputs; the fastest execution's ratio to
   * the dense time is kept, and `ms = ratio · denseMs` with `denseMs` this table's dense row, so
   * rows measured at different loads stay comparable.
   */
  async measure(
    layer: Module,
    plan: LayerPlan,
    shape: Shape,
    batch: number,
    target: ExecutionTarget,
    timing: TimingOptions = {},
  ): Promise<LatencyEntry> {
    const key: LatencyKey = { ...target, shape, layer: layerSignature(layer), plan, batch };
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const denseKey: LatencyKey = { ...key, plan: { kind: 'dense' } };
    const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 5);
    const built = plan.kind === 'dense' ? null : factorizeLayer(layer, plan, { seed: 0 });
    try {
      const dense = (): tf.Tensor => layer.apply(x, { training: false });
      const modes: Execution[] = [];
      if (built instanceof FactorizedModule) {
        const kind = factorizedKindOfModule(built.kind);
        for (const m of kind?.candidateExecutions?.(built, plan, shape) ?? ['factorized'])
          if (m !== 'auto') modes.push(m);
      } else if (built !== null) modes.push('factorized');
      const run = (e: Execution) => (): tf.Tensor => {
        if (built instanceof FactorizedModule) built.mode = e === 'reconstructed' ? 'reconstructed' : 'factorized';
        return (built as Module).apply(x, { training: false });
      };
      const t = await timeInterleaved([dense, ...modes.map(run)], timing);
      this.measured += 1;
      const d = t[0] as number;
      const prior = this.get(denseKey);
      const ref = prior?.ms ?? d;
      if (prior === undefined) this.set(denseKey, { ms: d, ratio: 1, execution: 'dense', denseMs: d });
      if (built === null) return this.get(denseKey) as LatencyEntry;
      let best = 0;
      for (let i = 1; i < modes.length; i++) if ((t[i + 1] as number) < (t[best + 1] as number)) best = i;
      const ratio = (t[best + 1] as number) / d;
      const entry: LatencyEntry = { ms: ratio * ref, ratio, execution: modes[best] as Execution, denseMs: d };
      this.set(key, entry);
      return entry;
    } finally {
      x.dispose();
      built?.dispose();
    }
  }
}
