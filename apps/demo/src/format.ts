/** Whole number with thousands separators (`431,080`). */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as `1.73 MB` / `451 kB` / `980 B` (SI units, as file managers show them). */
export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

/** A fraction in [0, 1] as a percentage with two decimals (`98.88 %`). */
export function formatPercent(x: number): string {
  return `${(100 * x).toFixed(2)} %`;
}
