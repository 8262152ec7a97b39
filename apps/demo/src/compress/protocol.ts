import type { LayerPlan } from '@tnzip/layers';
import type { Latency } from '../latency.js';

/** The rank-selection methods the view offers (the data-free three and LWIQ, which scores on the samples). */
export type MethodName = 'energy' | 'vbmf' | 'greedy' | 'lwiq';
/** Budget metrics the selectors accept today (storage and latency budgets are not on main yet). */
export type PlanMetric = 'params' | 'macs';

/** A tfjs LayersModel as plain data that `postMessage` copies: `model.json`'s topology and manifest, the shards joined. */
export interface PlainArtifacts {
  readonly modelTopology: unknown;
  readonly weightSpecs: unknown[];
  readonly weightData: ArrayBuffer;
}

/** Where a worker gets its model: a LayersModel the user dropped, or a bundled tnzip model directory (URL). */
export type ModelSource =
  | { readonly kind: 'layers'; readonly name: string; readonly artifacts: PlainArtifacts }
  | { readonly kind: 'bundled'; readonly name: string; readonly url: string };

/** The committed MNIST samples: uint8 pixels `[count, 28, 28, 1]` and labels. */
export interface SampleSet {
  readonly count: number;
  readonly pixels: Uint8Array;
  readonly labels: readonly number[];
}

/** What the page asks a worker. Every request carries an `id`; the answer carries the same `id`. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly type: 'init';
      readonly wasmPaths: Record<string, string>;
      readonly samples: SampleSet;
    }
  | { readonly id: number; readonly type: 'load'; readonly source: ModelSource }
  | { readonly id: number; readonly type: 'score'; readonly method: MethodName }
  | {
      readonly id: number;
      readonly type: 'plan';
      readonly method: MethodName;
      readonly metric: PlanMetric;
      readonly target: number;
    }
  | { readonly id: number; readonly type: 'accuracy'; readonly plan: Record<string, LayerPlan> }
  | {
      readonly id: number;
      readonly type: 'compress';
      readonly plan: Record<string, LayerPlan>;
      readonly finetuneSteps: number;
    };

/** One compressible layer as the view lists it. */
export interface LayerInfo {
  readonly path: string;
  /** `'conv2d'` or `'linear'`. */
  readonly kind: string;
  readonly weightShape: readonly number[];
  readonly params: number;
  readonly macs: number;
  /** Singular values (descending) of each unfolding behind a Tucker-2 / matrix rank: mode label → values. */
  readonly spectra: readonly { readonly mode: string; readonly values: readonly number[] }[];
}

/** Answer to `load`. */
export interface LoadedInfo {
  readonly name: string;
  readonly inputShape: readonly number[];
  /** Whether the model takes the 28×28×1 MNIST samples (accuracy, LWIQ and fine-tuning need them). */
  readonly takesSamples: boolean;
  readonly layers: readonly LayerInfo[];
  readonly model: { readonly params: number; readonly macs: number };
  /** Top-1 accuracy of the dense model on the samples (null when it does not take them). */
  readonly accuracy: number | null;
  readonly backend: string;
}

/** One row of a plan. */
export interface PlannedLayer {
  readonly path: string;
  readonly plan: LayerPlan;
  readonly ranks: readonly number[];
  readonly denseParams: number;
  readonly denseMacs: number;
  readonly params: number;
  readonly macs: number;
}

/** Answer to `plan`: the per-layer plan and the ratios (planned / dense) of the compressible layers and the whole model. */
export interface PlanInfo {
  readonly method: MethodName;
  readonly metric: PlanMetric;
  readonly target: number;
  readonly layers: readonly PlannedLayer[];
  readonly plan: Record<string, LayerPlan>;
  readonly model: {
    readonly dense: { readonly params: number; readonly macs: number };
    readonly planned: { readonly params: number; readonly macs: number };
  };
  readonly achievedLayers: number;
  readonly achievedModel: number;
  /** Time of `select` in the worker, ms. */
  readonly selectMs: number;
}

/** Answer to `compress`. */
export interface CompressResult {
  readonly accuracyBefore: number | null;
  readonly accuracyAfter: number | null;
  readonly finetuneSteps: number;
  readonly latencyDense: Latency | null;
  readonly latencyCompressed: Latency | null;
  /** `model.json` text; its manifest names `model.weights.bin`. */
  readonly modelJson: string;
  readonly weights: ArrayBuffer;
  readonly params: number;
  readonly exportedParams: number;
  /** Top-1 class and class probabilities (`[count, classes]`) of the compressed model on the samples (empty when it does not take them). */
  readonly top1: number[];
  readonly probs: number[];
  readonly factorizeMs: number;
}

/** What a worker posts back. */
export type WorkerMessage =
  | { readonly id: number; readonly type: 'progress'; readonly fraction: number; readonly stage: string }
  | { readonly id: number; readonly type: 'done'; readonly result: unknown }
  | { readonly id: number; readonly type: 'error'; readonly message: string };

/** Name of the weights file the download's `model.json` points to (as `tf.io.browserDownloads` names it). */
export const WEIGHTS_FILE = 'model.weights.bin';
