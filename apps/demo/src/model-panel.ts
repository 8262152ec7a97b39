import { formatBytes, formatInt, formatPercent } from './format.js';
import type { Latency } from './latency.js';
import type { ModelEntry } from './models-index.js';
import type { Prediction } from './predict.js';
import { ranksChart } from './ranks-chart.js';

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * The panel of one model: name and method, its live prediction with the ten class probabilities,
 * bytes on disk, params, MACs, the Node test accuracy, the accuracy on the 100 samples in this
 * browser, the median batch-1 latency here, and the per-layer ranks chart. `data-state` on the root
 * (`loading` | `ready` | `error`) and `data-top1` on the prediction let tests read it.
 */
export class ModelPanel {
  readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly top1: HTMLElement;
  private readonly probs: HTMLElement[] = [];
  private readonly latency: HTMLElement;
  private readonly browserAcc: HTMLElement;

  constructor(readonly entry: ModelEntry) {
    const id = `model-${entry.name}`;
    this.root = h('article', {
      class: 'panel',
      'data-model': entry.name,
      'data-state': 'loading',
      'aria-labelledby': id,
    });
    const head = h('header');
    head.append(h('h3', { id }, entry.label), h('p', { class: 'method' }, entry.method));
    this.status = h('p', { class: 'status', role: 'status' }, `Loading ${entry.dir}…`);
    this.top1 = h('p', { class: 'top1', 'aria-live': 'polite', 'data-top1': '' }, '–');
    const probs = h('ol', { class: 'probs', start: '0', 'aria-label': `${entry.label}: class probabilities` });
    for (let c = 0; c < 10; c++) {
      const li = h('li');
      const fill = h('span', { class: 'fill' });
      li.append(h('span', { class: 'digit', 'aria-hidden': 'true' }, String(c)), h('span', { class: 'track' }));
      li.lastElementChild?.append(fill);
      const text = h('span', { class: 'visually-hidden' }, `${c}: 0 %`);
      li.append(text);
      this.probs.push(li);
      probs.append(li);
    }
    const facts = h('dl', { class: 'facts' });
    const fact = (term: string, value: string): HTMLElement => {
      const dd = h('dd', {}, value);
      facts.append(h('dt', {}, term), dd);
      return dd;
    };
    fact('bytes on disk', formatBytes(entry.bytes));
    fact('params', formatInt(entry.params));
    fact('MACs', formatInt(entry.macs));
    fact('test acc. (Node, 10k)', formatPercent(entry.nodeTop1));
    this.browserAcc = fact('acc. here (100 samples)', '–');
    this.latency = fact('latency here (batch 1)', '–');
    const chart = ranksChart(entry.layers);
    const fig = h('figure', { class: 'ranks' });
    fig.append(h('figcaption', {}, 'Per-layer ranks'));
    fig.append(chart ?? h('p', { class: 'muted' }, 'Dense: no factorized layer.'));
    this.root.append(head, this.status, this.top1, probs, facts, fig);
  }

  /** Marks the model loaded. */
  setReady(): void {
    this.root.dataset.state = 'ready';
    this.status.textContent = 'Ready. Draw a digit.';
  }

  /** Shows why the model could not load (a sentence naming the file); the panel stays readable. */
  setError(message: string): void {
    this.root.dataset.state = 'error';
    this.status.className = 'status error';
    this.status.setAttribute('role', 'alert');
    this.status.textContent = `Could not load this model: ${message}`;
    this.top1.textContent = 'unavailable';
  }

  /** Shows row `row` of a prediction; `null` clears it (an empty canvas). */
  showPrediction(p: Prediction | null, row = 0): void {
    if (p === null) {
      this.top1.textContent = '–';
      this.top1.dataset.top1 = '';
      for (const li of this.probs) this.setBar(li, 0, li.firstElementChild?.textContent ?? '');
      return;
    }
    const best = p.top1[row] as number;
    const pBest = p.probs[row * p.classes + best] as number;
    this.top1.dataset.top1 = String(best);
    this.top1.textContent = `${best}  (${formatPercent(pBest)})`;
    this.top1.setAttribute(
      'aria-label',
      `${this.entry.label} predicts ${best} with probability ${formatPercent(pBest)}`,
    );
    this.probs.forEach((li, c) => {
      this.setBar(li, p.probs[row * p.classes + c] as number, String(c));
      li.classList.toggle('best', c === best);
    });
  }

  /** Shows the median batch-1 latency measured in this browser. */
  showLatency(l: Latency): void {
    this.latency.textContent = `${l.medianMs.toFixed(2)} ms`;
    this.latency.title = `median of ${l.runs} samples, min ${l.minMs.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms`;
  }

  /** Shows the top-1 accuracy on the committed samples, computed in this browser. */
  showBrowserAccuracy(correct: number, count: number): void {
    this.browserAcc.textContent = `${correct} / ${count}`;
  }

  private setBar(li: HTMLElement, p: number, digit: string): void {
    const fill = li.querySelector<HTMLElement>('.fill');
    if (fill !== null) fill.style.width = `${(100 * p).toFixed(1)}%`;
    const text = li.querySelector('.visually-hidden');
    if (text !== null) text.textContent = `${digit}: ${formatPercent(p)}`;
  }
}
