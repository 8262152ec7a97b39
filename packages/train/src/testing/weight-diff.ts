import type { Module } from '@tnzip/layers';

/** A copy of every parameter's values, by path (synchronous read-back: cpu and wasm). */
export function weights(m: Module): Map<string, Float32Array> {
  return new Map(m.namedParameters().map(([p, v]) => [p, (v.dataSync() as Float32Array).slice()]));
}

/** The largest over parameter tensors of max |a − b| / max |a|: 0 for bit-identical weights. */
export function relativeDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [p, x] of a) {
    const y = b.get(p) as Float32Array;
    let d = 0;
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs((x[i] as number) - (y[i] as number)));
      s = Math.max(s, Math.abs(x[i] as number));
    }
    worst = Math.max(worst, d / s);
  }
  return worst;
}
