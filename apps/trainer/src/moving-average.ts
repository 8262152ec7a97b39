/**
 * Centred moving average of `values` over `2 * halfWindow + 1` neighbours, the window shrinking
 * symmetrically at both ends (so the curve neither lags nor bends toward the edges). A
 * `halfWindow` of 0 returns a copy.
 */
export function movingAverage(values: readonly number[], halfWindow: number): number[] {
  const h = Math.max(0, Math.floor(halfWindow));
  const prefix = [0];
  for (const v of values) prefix.push((prefix[prefix.length - 1] as number) + v);
  return values.map((_, i) => {
    const k = Math.min(h, i, values.length - 1 - i);
    return ((prefix[i + k + 1] as number) - (prefix[i - k] as number)) / (2 * k + 1);
  });
}
