import { formatInt, formatPercent } from '../format.js';
import { fetchModelsIndex } from '../models-index.js';
import { fetchSamples } from '../samples.js';
import { registerServiceWorker } from '../sw-register.js';
import { wasmPaths } from '../wasm-paths.js';
import { readLayersModelFiles } from './load-files.js';
import { METHOD_LABELS } from './method-labels.js';
import type { CompressResult, LoadedInfo, MethodName, ModelSource, PlanInfo, PlanMetric } from './protocol.js';
import { budgetLabel, downloadLinks, layerRows, planFacts, resultFacts, updatePlanRows } from './render.js';
import { ResponsivenessProbe } from './responsiveness.js';
import { startWorker } from './worker-client.js';

/** One re-plan as the page timed it: from the slider's input event to the plan drawn. */
export interface PlanTiming {
  readonly method: MethodName;
  readonly metric: PlanMetric;
  readonly target: number;
  /** Input event → plan on screen, ms (the worker round trip and the drawing included). */
  readonly ms: number;
  /** `select` alone, in the worker, ms. */
  readonly selectMs: number;
}

/** What the view exposes for tests and the console as `window.tnzipCompress`. */
export interface CompressApi {
  /** Resolves when both workers have started. */
  ready: Promise<void>;
  loaded: LoadedInfo | null;
  /** Models loaded so far (each counted once its first plan is on screen). */
  loads: number;
  /** Time of the first plan of each method (spectra / LWIQ scores computed there), ms. */
  scoring: Partial<Record<MethodName, number>>;
  /** Every re-plan after the scoring, in order. */
  plans: PlanTiming[];
  lastPlan: PlanInfo | null;
  /** Accuracy on the samples of the plan on screen, before fine-tuning (null while it is computed). */
  planAccuracy: number | null;
  /** The last compression: its result (the weights left out) and how blocked the main thread was meanwhile. */
  lastCompress: (Omit<CompressResult, 'weights'> & { responsiveness: ReturnType<ResponsivenessProbe['stop']> }) | null;
}

declare global {
  interface Window {
    tnzipCompress: CompressApi;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} missing from compress.html`);
  return e as T;
}

const base = document.baseURI;
const planner = startWorker();
const builder = startWorker();
const probe = new ResponsivenessProbe();
const status = byId('c-status');
const slider = byId<HTMLInputElement>('budget');
const methodSel = byId<HTMLSelectElement>('method');
const metricSel = byId<HTMLSelectElement>('metric');
const compressBtn = byId<HTMLButtonElement>('compress');
const api: CompressApi = {
  ready: Promise.resolve(),
  loaded: null,
  loads: 0,
  scoring: {},
  plans: [],
  lastPlan: null,
  planAccuracy: null,
  lastCompress: null,
};
window.tnzipCompress = api;
let source: ModelSource | null = null;
let downloads: string[] = [];

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'status error' : 'status';
  if (error) status.setAttribute('role', 'alert');
  else status.setAttribute('role', 'status');
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// --- 1. loading -------------------------------------------------------------------------------

async function loadSource(src: ModelSource): Promise<void> {
  source = src;
  api.loaded = null;
  api.lastPlan = null;
  api.scoring = {};
  compressBtn.disabled = true;
  say(`Loading ${src.name} in the workers…`);
  try {
    const [info] = await Promise.all([
      planner.request<LoadedInfo>({ type: 'load', source: src }),
      builder.request<LoadedInfo>({ type: 'load', source: src }),
    ]);
    api.loaded = info;
    showModel(info);
    say(`${info.name}: ${info.layers.length} compressible layers. Scoring…`);
    await replan(performance.now());
    compressBtn.disabled = false;
    api.loads++;
  } catch (e) {
    say(`Could not load ${src.name}: ${message(e)}`, true);
  }
}

function showModel(info: LoadedInfo): void {
  const acc =
    info.accuracy === null
      ? 'no MNIST-shaped input: accuracy, LWIQ and fine-tuning are off'
      : `accuracy on the 100 samples ${formatPercent(info.accuracy)}`;
  byId('model-summary').textContent =
    `${info.name}: input ${info.inputShape.join('×')}, ${formatInt(info.model.params)} params, ${formatInt(info.model.macs)} MACs; ${acc} (worker backend: ${info.backend}).`;
  const lwiq = methodSel.querySelector<HTMLOptionElement>('option[value="lwiq"]');
  if (lwiq !== null) lwiq.disabled = !info.takesSamples;
  if (!info.takesSamples && methodSel.value === 'lwiq') methodSel.value = 'energy';
  byId('layers')
    .querySelector('tbody')
    ?.replaceChildren(...layerRows(info.layers));
}

async function onFiles(list: FileList | null): Promise<void> {
  if (list === null || list.length === 0) return;
  try {
    const { name, artifacts } = await readLayersModelFiles(Array.from(list));
    await loadSource({ kind: 'layers', name, artifacts });
  } catch (e) {
    say(`Could not read the files: ${message(e)}`, true);
  }
}

// --- 3. planning ------------------------------------------------------------------------------

let planBusy = false;
let planWanted: number | null = null;

/** Plans for the slider's value; calls made while a plan runs collapse into one more plan after it. */
async function replan(eventTime: number): Promise<void> {
  if (planBusy) {
    planWanted = planWanted ?? eventTime;
    return;
  }
  if (api.loaded === null) return;
  planBusy = true;
  try {
    let at: number | null = eventTime;
    while (at !== null) {
      planWanted = null;
      await planOnce(at);
      at = planWanted;
    }
  } finally {
    planBusy = false;
  }
}

async function planOnce(eventTime: number): Promise<void> {
  const method = methodSel.value as MethodName;
  const metric = metricSel.value as PlanMetric;
  const target = Number(slider.value);
  byId('budget-out').textContent = budgetLabel(target);
  const first = api.scoring[method] === undefined;
  try {
    if (first) {
      say(`Scoring for ${METHOD_LABELS[method]} (spectra${method === 'lwiq' ? ' and LWIQ scores' : ''}, once)…`);
      const t0 = performance.now();
      await planner.request({ type: 'score', method });
      api.scoring[method] = performance.now() - t0;
      eventTime = performance.now();
    }
    const plan = await planner.request<PlanInfo>({ type: 'plan', method, metric, target });
    showPlan(plan);
    const ms = performance.now() - eventTime;
    api.plans.push({ method, metric, target, ms, selectMs: plan.selectMs });
    byId('plan-summary')
      .querySelector('[data-key="replan"]')
      ?.replaceChildren(`${ms.toFixed(1)} ms (select ${plan.selectMs.toFixed(1)} ms)`);
    say(
      `${api.loaded?.name}: ${METHOD_LABELS[method]}, scored in ${(api.scoring[method] ?? 0).toFixed(0)} ms; re-plans as the budget moves.`,
    );
    scheduleAccuracy();
  } catch (e) {
    say(`No plan at ${budgetLabel(target)}: ${message(e)}`, true);
  }
}

function showPlan(p: PlanInfo): void {
  api.lastPlan = p;
  api.planAccuracy = null;
  const info = api.loaded;
  updatePlanRows(byId('layers'), p, info?.layers ?? []);
  const dl = byId('plan-summary');
  dl.dataset.target = String(p.target);
  dl.dataset.method = p.method;
  planFacts(dl, p, info?.takesSamples === true);
}

let accBusy = false;
let accAgain = false;
let accTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Measures the plan's accuracy once the slider has rested for 250 ms: while it moves, the builder would
 * factorize plans nobody looks at, and compete with the planner for the CPU.
 */
function scheduleAccuracy(): void {
  if (accTimer !== null) clearTimeout(accTimer);
  accTimer = setTimeout(() => {
    accTimer = null;
    void measurePlanAccuracy();
  }, 250);
}

/** The accuracy of the plan on screen, measured by the builder; one at a time, the latest plan wins. */
async function measurePlanAccuracy(): Promise<void> {
  if (api.loaded?.takesSamples !== true) return;
  if (accBusy) {
    accAgain = true;
    return;
  }
  accBusy = true;
  try {
    do {
      accAgain = false;
      const p = api.lastPlan;
      if (p === null) break;
      const acc = await builder.request<number | null>({ type: 'accuracy', plan: p.plan });
      if (api.lastPlan === p && !accAgain) {
        api.planAccuracy = acc;
        const dd = byId('plan-summary').querySelector('[data-key="accuracy"]');
        if (dd !== null && acc !== null)
          dd.textContent = `${formatPercent(acc)} on the 100 samples (dense ${formatPercent(api.loaded?.accuracy ?? 0)})`;
      }
    } while (accAgain);
  } catch (e) {
    const dd = byId('plan-summary').querySelector('[data-key="accuracy"]');
    if (dd !== null) dd.textContent = `failed: ${message(e)}`;
  } finally {
    accBusy = false;
  }
}

// --- 4. compressing ---------------------------------------------------------------------------

async function compress(): Promise<void> {
  const p = api.lastPlan;
  if (p === null || source === null) return;
  compressBtn.disabled = true;
  const bar = byId<HTMLProgressElement>('progress');
  const text = byId('progress-text');
  const result = byId('result');
  delete result.dataset.done;
  result.replaceChildren();
  for (const u of downloads) URL.revokeObjectURL(u);
  downloads = [];
  byId('downloads').replaceChildren();
  const steps = byId<HTMLInputElement>('finetune').checked
    ? Math.max(1, Math.min(200, Math.trunc(Number(byId<HTMLInputElement>('steps').value) || 20)))
    : 0;
  probe.start();
  try {
    const r = await builder.request<CompressResult>(
      { type: 'compress', plan: p.plan, finetuneSteps: steps },
      (f, stage) => {
        bar.value = f;
        text.textContent = `${Math.round(100 * f)} %: ${stage}`;
      },
    );
    const responsiveness = probe.stop();
    bar.value = 1;
    text.textContent = `Done: factorized in ${r.factorizeMs.toFixed(0)} ms in the worker; the page's longest blocked stretch meanwhile ${responsiveness.maxTimerGapMs.toFixed(0)} ms.`;
    const { weights, ...rest } = r;
    api.lastCompress = { ...rest, responsiveness };
    resultFacts(result, r);
    offerDownloads(r);
    result.dataset.done = '1';
  } catch (e) {
    probe.stop();
    text.textContent = '';
    say(`Compression failed: ${message(e)}`, true);
  } finally {
    compressBtn.disabled = false;
  }
}

function offerDownloads(r: CompressResult): void {
  const { nodes, urls } = downloadLinks(r.modelJson, r.weights);
  downloads.push(...urls);
  byId('downloads').append(...nodes);
}

// --- wiring -----------------------------------------------------------------------------------

async function start(): Promise<void> {
  for (const [value, label] of Object.entries(METHOD_LABELS)) methodSel.append(new Option(label, value));
  const samples = await fetchSamples(base);
  const paths = wasmPaths();
  const init = { type: 'init', wasmPaths: paths, samples } as const;
  await Promise.all([planner.request(init), builder.request(init)]);
  const bundled = byId<HTMLSelectElement>('bundled');
  try {
    const index = await fetchModelsIndex(new URL('models/index.json', base).href);
    for (const m of index.models) bundled.append(new Option(m.label, m.dir));
  } catch (e) {
    bundled.append(new Option(`(no bundled models: ${message(e)})`, ''));
  }
  say('Ready: choose or drop a LayersModel, or load a bundled model.');
}

byId<HTMLInputElement>('files').addEventListener('change', (e) => void onFiles((e.target as HTMLInputElement).files));
const drop = byId('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void onFiles(e.dataTransfer?.files ?? null);
});
byId('bundled-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const sel = byId<HTMLSelectElement>('bundled');
  if (sel.value === '') return;
  void loadSource({
    kind: 'bundled',
    name: sel.selectedOptions[0]?.textContent ?? sel.value,
    url: new URL(sel.value, base).href,
  });
});
slider.addEventListener('input', (e) => {
  byId('budget-out').textContent = budgetLabel(Number(slider.value));
  void replan(e.timeStamp);
});
methodSel.addEventListener('change', (e) => void replan(e.timeStamp));
metricSel.addEventListener('change', (e) => void replan(e.timeStamp));
compressBtn.addEventListener('click', () => void compress());

api.ready = start().catch((e: unknown) => say(`The view could not start: ${message(e)}`, true));
void registerServiceWorker().then((line) => {
  byId('offline').textContent = line;
});
