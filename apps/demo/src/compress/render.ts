import { formatBytes, formatInt, formatPercent } from '../format.js';
import { describePlan } from './plan-ranks.js';
import type { CompressResult, LayerInfo, PlanInfo } from './protocol.js';
import { WEIGHTS_FILE } from './protocol.js';
import { spectrumPlot } from './spectrum-plot.js';

// The compress view's DOM: each function draws one part from the workers' answers, and holds no state.

/** Appends a `<dt>term</dt><dd data-key=key>value</dd>` pair to a facts list. */
export function fact(dl: HTMLElement, term: string, value: string, key?: string): void {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  if (key !== undefined) dd.dataset.key = key;
  dl.append(dt, dd);
}

/** A budget fraction as `25 % (4.0x)`. */
export function budgetLabel(t: number): string {
  return `${Math.round(t * 100)} % (${(1 / t).toFixed(1)}x)`;
}

/** One table row per compressible layer: cost cells, its spectrum, and empty plan cells that {@link updatePlanRows} fills. */
export function layerRows(layers: readonly LayerInfo[]): HTMLTableRowElement[] {
  return layers.map((l) => {
    const tr = document.createElement('tr');
    tr.dataset.layer = l.path;
    const cells = [l.path, l.kind, l.weightShape.join('×'), formatInt(l.params), formatInt(l.macs)];
    for (const [i, c] of cells.entries()) {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.setAttribute('scope', 'row');
      td.textContent = c;
      tr.append(td);
    }
    const spec = document.createElement('td');
    spec.className = 'spec';
    spec.append(spectrumPlot(l.spectra));
    const plan = Object.assign(document.createElement('td'), { className: 'plan' });
    const p = Object.assign(document.createElement('td'), { className: 'kept-params' });
    const m = Object.assign(document.createElement('td'), { className: 'kept-macs' });
    tr.append(spec, plan, p, m);
    return tr;
  });
}

/** Fills each layer row of `table` with `p`'s plan, the params and MACs it keeps, and the rank marks on its spectrum. */
export function updatePlanRows(table: HTMLElement, p: PlanInfo, layers: readonly LayerInfo[]): void {
  for (const l of p.layers) {
    const tr = table.querySelector<HTMLTableRowElement>(`tr[data-layer="${CSS.escape(l.path)}"]`);
    if (tr === null) continue;
    (tr.querySelector('.plan') as HTMLElement).textContent = describePlan(l.plan);
    (tr.querySelector('.kept-params') as HTMLElement).textContent =
      `${formatInt(l.params)} (${formatPercent(l.params / l.denseParams)})`;
    (tr.querySelector('.kept-macs') as HTMLElement).textContent =
      `${formatInt(l.macs)} (${formatPercent(l.macs / l.denseMacs)})`;
    const spec = layers.find((x) => x.path === l.path);
    // Rank marks where the plan's ranks are those of the plotted Tucker-2 / matrix unfoldings (not LWIQ's TT bonds).
    const marks = p.method !== 'lwiq' && l.ranks.length === spec?.spectra.length ? l.ranks : [];
    if (spec !== undefined) tr.querySelector('.spec')?.replaceChildren(spectrumPlot(spec.spectra, marks));
  }
}

/** The plan's summary: what the compressible layers and the whole model keep; the re-plan time and accuracy to come. */
export function planFacts(dl: HTMLElement, p: PlanInfo, takesSamples: boolean): void {
  dl.replaceChildren();
  const { dense, planned } = p.model;
  fact(
    dl,
    'Compressible layers keep',
    `${formatPercent(p.achievedLayers)} of their ${p.metric === 'params' ? 'params' : 'MACs'}`,
    'layers',
  );
  fact(
    dl,
    'Whole model: params',
    `${formatInt(planned.params)} of ${formatInt(dense.params)} (${(dense.params / planned.params).toFixed(2)}x smaller)`,
    'params',
  );
  fact(
    dl,
    'Whole model: MACs',
    `${formatInt(planned.macs)} of ${formatInt(dense.macs)} (${(dense.macs / planned.macs).toFixed(2)}x fewer)`,
    'macs',
  );
  fact(dl, 'Whole model: float32 weights', formatBytes(4 * planned.params), 'bytes');
  fact(dl, 'Re-plan', '…', 'replan');
  fact(dl, 'Accuracy before fine-tuning', takesSamples ? 'measuring…' : 'n/a (input is not 28×28×1)', 'accuracy');
}

/** What a compression gave: accuracy before / after fine-tuning, latency here, the size of the download. */
export function resultFacts(dl: HTMLElement, r: CompressResult): void {
  const acc = (a: number | null): string => (a === null ? 'n/a' : formatPercent(a));
  fact(dl, 'Accuracy before fine-tuning', acc(r.accuracyBefore), 'before');
  fact(
    dl,
    r.finetuneSteps > 0 ? `After ${r.finetuneSteps} fine-tuning steps (on these samples)` : 'Fine-tuning',
    r.finetuneSteps > 0 ? acc(r.accuracyAfter) : 'off',
    'after',
  );
  if (r.latencyDense !== null && r.latencyCompressed !== null)
    fact(
      dl,
      'Latency here, batch 1 (median)',
      `dense ${r.latencyDense.medianMs.toFixed(2)} ms, compressed ${r.latencyCompressed.medianMs.toFixed(2)} ms`,
      'latency',
    );
  fact(
    dl,
    'Download',
    `${formatInt(r.exportedParams)} weights in stock tfjs layers (${formatInt(r.params)} tnzip params), ${formatBytes(r.weights.byteLength)} + model.json`,
    'size',
  );
}

/** `model.json` and its weights as two download links (Blob URLs the caller revokes when it replaces them). */
export function downloadLinks(modelJson: string, weights: ArrayBuffer): { nodes: (Node | string)[]; urls: string[] } {
  const files: [string, Blob][] = [
    ['model.json', new Blob([modelJson], { type: 'application/json' })],
    [WEIGHTS_FILE, new Blob([weights], { type: 'application/octet-stream' })],
  ];
  const nodes: (Node | string)[] = ['Download: '];
  const urls: string[] = [];
  for (const [name, blob] of files) {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    nodes.push(
      Object.assign(document.createElement('a'), {
        href: url,
        download: name,
        textContent: name,
        className: 'download',
      }),
      ' ',
    );
  }
  return { nodes, urls };
}
