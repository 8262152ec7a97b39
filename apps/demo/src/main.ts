import { useBackend } from '@tnzip/backends';
import { DrawingPad } from './drawing-pad.js';
import { type Latency, measureLatency } from './latency.js';
import { drawingToMnist } from './mnist-pixels.js';
import { ModelPanel } from './model-panel.js';
import { loadModels, type ModelSlot } from './model-store.js';
import { fetchModelsIndex } from './models-index.js';
import { type Prediction, predict, predictTop1 } from './predict.js';
import { IMAGE_SIZE, normalizePixels } from './preprocess.js';
import { fetchSamples, type Samples } from './samples.js';
import { registerServiceWorker } from './sw-register.js';
import { wasmPaths } from './wasm-paths.js';

/** What the page exposes for tests and the console as `window.tnzipDemo`. */
export interface DemoApi {
  /** Resolves when the backend is chosen and every model has loaded or failed. */
  ready: Promise<void>;
  /** Resolves when every loaded model's latency has been measured (after `ready`). */
  measured: Promise<void>;
  /** Backend in use (`webgpu` | `wasm` | `cpu`), once known. */
  backend: string;
  /** Per loaded model, the top-1 class of each committed sample (one batch of all samples). */
  evaluateSamples(): Promise<Record<string, number[]>>;
  /** Per loaded model, the median batch-1 latency in ms, measured after loading. */
  latencies: Record<string, Latency>;
  /** Per loaded model, where its layers' executions came from: `'stored wasm@1'` or `'measured wasm@1'`. */
  executions: Record<string, string>;
}

declare global {
  interface Window {
    tnzipDemo: DemoApi;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} missing from index.html`);
  return e as T;
}

const base = document.baseURI;
const panels: ModelPanel[] = [];
let slots: ModelSlot[] = [];
let samples: Samples | null = null;
let current: Uint8Array = new Uint8Array(IMAGE_SIZE);
let running = false;
let dirty = false;

const preview = byId<HTMLCanvasElement>('preview');
const pad = new DrawingPad(byId<HTMLCanvasElement>('pad'), byId('pad-cursor'), () => {
  current = drawingToMnist(pad.canvas);
  void refresh();
});

/** Shows what the models see (the 28×28 input). */
function drawPreview(pixels: Uint8Array): void {
  const ctx = preview.getContext('2d');
  if (ctx === null) return;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < IMAGE_SIZE; i++) {
    const v = pixels[i] as number;
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

/** Predicts `current` with every loaded model; a change during a run triggers one more run after it. */
async function refresh(): Promise<void> {
  if (running) {
    dirty = true;
    return;
  }
  running = true;
  try {
    do {
      dirty = false;
      const pixels = current;
      drawPreview(pixels);
      const empty = pixels.every((v) => v === 0);
      const x = normalizePixels(pixels);
      for (const [i, slot] of slots.entries()) {
        if (slot.state !== 'ready') continue;
        const p: Prediction | null = empty ? null : await predict(slot.loaded.model, x, 1);
        panels[i]?.showPrediction(p);
      }
    } while (dirty);
  } finally {
    running = false;
  }
}

async function evaluateSamples(): Promise<Record<string, number[]>> {
  if (samples === null) samples = await fetchSamples(base);
  const s = samples;
  const x = normalizePixels(s.pixels);
  const out: Record<string, number[]> = {};
  for (const [i, slot] of slots.entries()) {
    if (slot.state !== 'ready') continue;
    const top1 = await predictTop1(slot.loaded.model, x, s.count);
    out[slot.entry.name] = Array.from(top1);
    panels[i]?.showBrowserAccuracy(
      top1.reduce((a, c, k) => a + (c === s.labels[k] ? 1 : 0), 0),
      s.count,
    );
  }
  return out;
}

function showSample(k: number): void {
  if (samples === null) return;
  const n = Math.min(samples.count - 1, Math.max(0, Math.trunc(k)));
  current = samples.pixels.slice(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE);
  pad.showImage(current);
  byId('sample-label').textContent = `Sample ${n}: label ${samples.labels[n]}`;
  void refresh();
}

async function start(): Promise<void> {
  const backendLine = byId('backend');
  const info = await useBackend('auto', { wasmPaths: wasmPaths() });
  api.backend = info.backend;
  backendLine.textContent = `Backend: ${info.backend}${info.threads !== undefined ? ` (${info.threads} thread${info.threads > 1 ? 's' : ''})` : ''}. ${info.reason}.`;
  backendLine.dataset.backend = info.backend;

  const grid = byId('panels');
  let index: Awaited<ReturnType<typeof fetchModelsIndex>>;
  try {
    index = await fetchModelsIndex(new URL('models/index.json', base).href);
  } catch (e) {
    grid.append(
      Object.assign(document.createElement('p'), {
        className: 'status error',
        role: 'alert',
        textContent: `Could not read the list of models: ${e instanceof Error ? e.message : String(e)}`,
      }),
    );
    return;
  }
  for (const entry of index.models) {
    const panel = new ModelPanel(entry);
    panels.push(panel);
    grid.append(panel.root);
  }
  slots = await loadModels(index.models, base, info.threads ?? 1, (slot, i) => {
    if (slot.state === 'ready') {
      api.executions[slot.entry.name] = `${slot.executions.status} ${slot.executions.key}`;
      panels[i]?.setReady();
    } else panels[i]?.setError(slot.error);
  });
  void refresh();
  samples = await fetchSamples(base).catch((e: unknown) => {
    byId('sample-label').textContent = `Samples unavailable: ${e instanceof Error ? e.message : String(e)}`;
    return null;
  });
}

/** Latency on a real digit (sample 0), one model at a time so they do not compete for the CPU / GPU. */
async function measureAll(): Promise<void> {
  const probe = normalizePixels(samples?.pixels.slice(0, IMAGE_SIZE) ?? new Uint8Array(IMAGE_SIZE));
  for (const [i, slot] of slots.entries()) {
    if (slot.state !== 'ready') continue;
    const l = await measureLatency(slot.loaded.model, probe);
    api.latencies[slot.entry.name] = l;
    panels[i]?.showLatency(l);
  }
}

const api: DemoApi = {
  ready: Promise.resolve(),
  measured: Promise.resolve(),
  backend: '',
  evaluateSamples,
  latencies: {},
  executions: {},
};
window.tnzipDemo = api;

byId('clear').addEventListener('click', () => {
  pad.clear();
  byId('sample-label').textContent = '';
});
byId('sample-form').addEventListener('submit', (e) => {
  e.preventDefault();
  showSample(Number(byId<HTMLInputElement>('sample-index').value));
});
byId('sample-random').addEventListener('click', () => {
  const k = Math.floor(Math.random() * (samples?.count ?? 1));
  byId<HTMLInputElement>('sample-index').value = String(k);
  showSample(k);
});
byId('evaluate').addEventListener('click', async () => {
  const out = byId('evaluate-status');
  out.textContent = 'Evaluating…';
  await evaluateSamples();
  out.textContent = 'Done: see "acc. here" in each panel.';
});

const failed = (e: unknown): void => {
  const line = byId('backend');
  line.className = 'status error';
  line.setAttribute('role', 'alert');
  line.textContent = `The demo could not start: ${e instanceof Error ? e.message : String(e)}`;
};
api.ready = start().catch(failed);
api.measured = api.ready.then(measureAll).catch((e: unknown) => console.error('latency measurement failed', e));
void registerServiceWorker().then((line) => {
  byId('offline').textContent = line;
});
