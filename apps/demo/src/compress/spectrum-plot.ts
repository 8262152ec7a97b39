const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Where the line of `values` (descending, > 0) runs in a `w × h` box on a log scale from `lo` to `hi`. */
export function spectrumPoints(values: readonly number[], w: number, h: number, lo: number, hi: number): string {
  const n = values.length;
  const span = Math.log10(hi) - Math.log10(lo) || 1;
  return values
    .map((v, i) => {
      const x = n > 1 ? (i / (n - 1)) * w : 0;
      const y = h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * h;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/**
 * A small inline SVG of a layer's singular-value spectra (one line per unfolding, log scale shared by
 * the lines, normalized to the largest value), with a vertical mark at each planned rank when given.
 * `role="img"` and an `aria-label` that says what a screen reader cannot see: the count, the largest and
 * smallest value, and how many values it takes to keep 90 % of the energy.
 */
export function spectrumPlot(
  spectra: readonly { readonly mode: string; readonly values: readonly number[] }[],
  ranks: readonly number[] = [],
): SVGSVGElement {
  const w = 160;
  const h = 48;
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', class: 'spectrum' });
  const all = spectra.flatMap((s) => s.values).filter((v) => v > 0);
  const hi = Math.max(...all, 1e-12);
  const lo = Math.max(hi * 1e-4, Math.min(...all, hi));
  svg.append(el('rect', { x: 0, y: 0, width: w, height: h, class: 'spectrum-bg' }));
  spectra.forEach((s, i) => {
    svg.append(el('polyline', { points: spectrumPoints(s.values, w, h, lo, hi), class: `spectrum-line m${i % 2}` }));
    const r = ranks[i];
    if (r !== undefined && s.values.length > 1) {
      const x = ((Math.min(r, s.values.length) - 1) / (s.values.length - 1)) * w;
      svg.append(el('line', { x1: x, x2: x, y1: 0, y2: h, class: `spectrum-rank m${i % 2}` }));
    }
  });
  const label = spectra
    .map((s, i) => {
      const total = s.values.reduce((a, v) => a + v * v, 0);
      let acc = 0;
      let k90 = 0;
      while (k90 < s.values.length && acc < 0.9 * total) acc += (s.values[k90++] as number) ** 2;
      const rank = ranks[i] === undefined ? '' : `, planned rank ${ranks[i]}`;
      return `mode ${s.mode}: ${s.values.length} singular values from ${(s.values[0] ?? 0).toPrecision(3)} to ${(s.values[s.values.length - 1] ?? 0).toPrecision(3)}, 90 % of the energy in the first ${k90}${rank}`;
    })
    .join('; ');
  svg.setAttribute('aria-label', `Singular-value spectrum (log scale): ${label}`);
  return svg;
}
