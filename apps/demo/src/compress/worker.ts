/// <reference lib="webworker" />
// The view's Web Worker: model loading, spectra, rank selection, factorization, fine-tuning, latency
// and export all run here, so the page's main thread only draws. The page runs two of them: a
// planner (answers the slider, never busy for long) and a builder (accuracy of each plan, Compress).
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tnzip/backends';
import { factorize, type LayerPlan, type Module } from '@tnzip/layers';
import type { Calibration } from '@tnzip/ranks';
import { measureLatency } from '../latency.js';
import { predict, predictTop1 } from '../predict.js';
import { IMAGE_SIZE, normalizePixels } from '../preprocess.js';
import { layersModelFiles } from './export-files.js';
import { finetune } from './finetune.js';
import { layerInfos } from './layer-info.js';
import { makeSelectors } from './methods.js';
import { type FreshModel, freshModel } from './model-source.js';
import { planRanks } from './plan-ranks.js';
import type {
  CompressResult,
  LoadedInfo,
  MethodName,
  ModelSource,
  PlanInfo,
  PlanMetric,
  WorkerMessage,
  WorkerRequest,
} from './protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const selectors = makeSelectors();
let backend = '';
let data: { x: Float32Array; labels: readonly number[]; count: number; calibration: Calibration } | null = null;
let source: ModelSource | null = null;
let dense: FreshModel | null = null;
let takesSamples = false;

function post(m: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(m, transfer);
}

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`${what} first`);
  return v;
}

async function accuracy(model: Module): Promise<number | null> {
  if (!takesSamples || data === null) return null;
  const top1 = await predictTop1(model, data.x, data.count);
  return top1.reduce((a, c, i) => a + (c === data?.labels[i] ? 1 : 0), 0) / data.count;
}

async function init(
  wasmPaths: Record<string, string>,
  s: { count: number; pixels: Uint8Array; labels: readonly number[] },
) {
  const info = await useBackend('wasm', { wasmPaths }).catch(() => useBackend('cpu'));
  backend = info.backend;
  const x = normalizePixels(s.pixels);
  const calibration: Calibration = {
    x: tf.tensor4d(x, [s.count, 28, 28, 1]),
    y: tf.tensor1d(Int32Array.from(s.labels), 'int32'),
    numClasses: 10,
  };
  data = { x, labels: s.labels, count: s.count, calibration };
  return { backend };
}

async function loadModel(src: ModelSource): Promise<LoadedInfo> {
  dense?.model.dispose();
  dense = null;
  source = src;
  dense = await freshModel(src);
  const shape = dense.inputShape;
  takesSamples = shape.length === 3 && shape[0] === 28 && shape[1] === 28 && shape[2] === 1;
  const cost = dense.model.cost([...shape]);
  return {
    name: src.name,
    inputShape: shape,
    takesSamples,
    layers: layerInfos(dense.model, shape),
    model: { params: cost.params, macs: cost.macs },
    accuracy: await accuracy(dense.model),
    backend,
  };
}

async function plan(method: MethodName, metric: PlanMetric, target: number): Promise<PlanInfo> {
  const m = need(dense, 'load a model');
  if (method === 'lwiq' && !takesSamples)
    throw new Error('LWIQ scores on the 28×28 MNIST samples: this model takes another input');
  const t0 = performance.now();
  const { report, plan: p } = await selectors[method].select(
    m.model,
    { metric, target },
    { inputShape: [...m.inputShape], seed: 0, ...(data === null ? {} : { calibration: data.calibration }) },
  );
  const selectMs = performance.now() - t0;
  return {
    method,
    metric,
    target,
    layers: report.layers.map((l) => ({
      path: l.layer,
      plan: l.plan,
      ranks: planRanks(l.plan),
      denseParams: l.denseParams,
      denseMacs: l.denseMacs,
      params: l.params,
      macs: l.macs,
    })),
    plan: { ...p },
    model: report.model,
    achievedLayers: report.achievedLayers,
    achievedModel: report.achievedModel,
    selectMs,
  };
}

/** A fresh copy of the dense model with `p`'s layers factorized one at a time (progress after each). */
async function factorized(p: Record<string, LayerPlan>, onLayer: (done: number, total: number, path: string) => void) {
  const fresh = await freshModel(need(source, 'load a model'));
  const todo = Object.entries(p).filter(([, lp]) => lp.kind !== 'dense');
  todo.forEach(([path, lp], i) => {
    onLayer(i, todo.length, path);
    factorize(fresh.model, { [path]: lp }, { seed: 0 });
  });
  onLayer(todo.length, todo.length, '');
  return fresh;
}

async function compress(id: number, p: Record<string, LayerPlan>, steps: number): Promise<CompressResult> {
  const progress = (fraction: number, stage: string): void => post({ id, type: 'progress', fraction, stage });
  const probe = data === null ? null : data.x.subarray(0, IMAGE_SIZE);
  progress(0, 'measuring the dense model');
  const d = need(dense, 'load a model');
  const latencyDense = takesSamples && probe !== null ? await measureLatency(d.model, probe) : null;
  const t0 = performance.now();
  const fresh = await factorized(p, (done, total, path) =>
    progress(0.1 + (0.6 * done) / Math.max(1, total), path === '' ? 'factorized' : `factorizing ${path}`),
  );
  const factorizeMs = performance.now() - t0;
  try {
    const accuracyBefore = await accuracy(fresh.model);
    let done = 0;
    if (steps > 0 && takesSamples && data !== null) {
      const t = data.calibration;
      await finetune(fresh.model, t.x, t.y, {
        steps,
        onStep: (k) => progress(0.7 + (0.2 * k) / steps, `fine-tuning: step ${k} of ${steps}`),
      });
      done = steps;
    }
    const accuracyAfter = done > 0 ? await accuracy(fresh.model) : accuracyBefore;
    progress(0.9, 'measuring the compressed model');
    const latencyCompressed = takesSamples && probe !== null ? await measureLatency(fresh.model, probe) : null;
    progress(0.97, 'exporting a tfjs LayersModel');
    const files = await layersModelFiles(fresh.model, fresh.inputShape, fresh.outputActivation, 'compressed');
    let top1: number[] = [];
    let probs: number[] = [];
    if (takesSamples && data !== null) {
      const pr = await predict(fresh.model, data.x, data.count);
      top1 = Array.from(pr.top1);
      probs = Array.from(pr.probs);
    }
    return {
      accuracyBefore,
      accuracyAfter,
      finetuneSteps: done,
      latencyDense,
      latencyCompressed,
      ...files,
      top1,
      probs,
      factorizeMs,
    };
  } finally {
    fresh.model.dispose();
  }
}

async function planAccuracy(p: Record<string, LayerPlan>): Promise<number | null> {
  if (!takesSamples) return null;
  const fresh = await factorized(p, () => {});
  try {
    return await accuracy(fresh.model);
  } finally {
    fresh.model.dispose();
  }
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    let result: unknown;
    const transfer: Transferable[] = [];
    switch (req.type) {
      case 'init':
        result = await init(req.wasmPaths, req.samples);
        break;
      case 'load':
        result = await loadModel(req.source);
        break;
      case 'score': {
        const t0 = performance.now();
        await plan(req.method, 'params', 1);
        result = { ms: performance.now() - t0 };
        break;
      }
      case 'plan':
        result = await plan(req.method, req.metric, req.target);
        break;
      case 'accuracy':
        result = await planAccuracy(req.plan);
        break;
      case 'compress': {
        const r = await compress(req.id, req.plan, req.finetuneSteps);
        transfer.push(r.weights);
        result = r;
        break;
      }
    }
    post({ id: req.id, type: 'done', result }, transfer);
  } catch (e) {
    post({ id: req.id, type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

let chain: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  chain = chain.then(() => handle(req));
};
