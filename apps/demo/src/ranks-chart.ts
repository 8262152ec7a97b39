import type { LayerRanks } from './models-index.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * An inline SVG bar chart of per-layer ranks: one row per layer that has ranks, one bar per rank
 * (e.g. Tucker-2's (R_S, R_T), a TT's inner ranks), bar length ∝ rank on a log scale shared by the
 * chart (ranks span 1…500), the value printed at the bar's end. `role="img"` with an `aria-label`
 * listing every value, so the chart reads out as text. `null` when no layer has ranks (a dense model).
 */
export function ranksChart(layers: readonly LayerRanks[]): SVGSVGElement | null {
  const rows = layers.filter((l) => l.ranks.length > 0);
  if (rows.length === 0) return null;
  const bar = 9;
  const gap = 2;
  const labelW = 44;
  const width = 240;
  const plotW = width - labelW - 34;
  const max = Math.max(...rows.flatMap((r) => r.ranks));
  const scale = (r: number): number => Math.max(2, (Math.log1p(r) / Math.log1p(max)) * plotW);
  let y = 2;
  const svg = el('svg', { role: 'img', class: 'ranks-chart', width: '100%' });
  const label = rows.map((r) => `${r.layer} (${r.kind}): ranks ${r.ranks.join(', ')}`).join('; ');
  svg.setAttribute('aria-label', `Per-layer ranks. ${label}`);
  svg.append(el('title', {}, `Per-layer ranks. ${label}`));
  for (const r of rows) {
    const h = r.ranks.length * (bar + gap);
    svg.append(el('text', { x: 0, y: y + h / 2 + 4, class: 'axis' }, r.layer));
    r.ranks.forEach((rank, i) => {
      const by = y + i * (bar + gap);
      const w = scale(rank);
      svg.append(el('rect', { x: labelW, y: by, width: w.toFixed(1), height: bar, rx: 2, class: 'bar' }));
      svg.append(el('text', { x: labelW + w + 3, y: by + bar - 1, class: 'value' }, String(rank)));
    });
    y += h + 6;
  }
  svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
  return svg;
}
