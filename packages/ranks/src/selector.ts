import type * as tf from '@tensorflow/tfjs-core';
import type { FactorizationPlan, LayerPlan, Module, Shape } from '@tnzip/layers';
import type { TrainHook, TrainResult } from '@tnzip/train';
import type { Budget, CheckedBudget } from './budget.js';

/** Calibration data for data-driven selectors (LWIQ): a batch of inputs and their labels. */
export interface Calibration {
  /** Inputs `[N, ...inputShape]`, already normalized as the model expects. */
  readonly x: tf.Tensor;
  /** Integer class labels `[N]`. */
  readonly y: tf.Tensor1D;
  readonly numClasses: number;
}

/** What a selector may use besides the model and the budget. */
export interface SelectionContext {
  /** Input shape of one example (no batch axis), for MAC counts. */
  readonly inputShape: Shape;
  /** Paths of the layers the selector may factorize (default: every Conv2d / Linear). */
  readonly layers?: readonly string[];
  /** Calibration data (required by data-driven selectors). */
  readonly calibration?: Calibration;
  /**
   * Held-out labelled data for choosing a selector's own hyperparameters (BATUDE's λ). Selectors
   * that need it fall back to `calibration` when it is absent, and say so in their report.
   */
  readonly validation?: Calibration;
  /** Seed for anything random. */
  readonly seed?: number;
  /**
   * Runs a training phase for a selector that learns its ranks while the network trains (BATUDE):
   * the selector passes its hooks and the phase length, the caller owns the data and the
   * schedule. The compression pipeline (`compress` of `@tnzip/ranks/compress`) provides it; the
   * selectors themselves never import the training loop (which is Node-only), so this entry
   * point stays bundleable for browsers.
   */
  readonly train?: TrainingPhase;
}

/** See {@link SelectionContext.train}. Trains the model in place with `hooks` added for `epochs` epochs. */
export type TrainingPhase = (phase: {
  readonly epochs: number;
  readonly hooks: readonly TrainHook[];
}) => Promise<TrainResult>;

/** One row of a selection report. */
export interface LayerReport {
  readonly layer: string;
  readonly plan: LayerPlan;
  readonly denseParams: number;
  readonly denseMacs: number;
  readonly params: number;
  readonly macs: number;
}

/** What a selector reports next to its plan. */
export interface SelectionReport {
  readonly method: string;
  readonly budget: CheckedBudget;
  readonly layers: readonly LayerReport[];
  /** Cost of the compressible layers, dense and planned, summed over `layers`. */
  readonly dense: { readonly params: number; readonly macs: number };
  readonly planned: { readonly params: number; readonly macs: number };
  /** Cost of the whole model, dense and planned (the layers left alone at their own cost). */
  readonly model: {
    readonly dense: { readonly params: number; readonly macs: number };
    readonly planned: { readonly params: number; readonly macs: number };
  };
  /** planned / dense by the budget's metric over the budget's scope: what the plan actually keeps. */
  readonly achieved: number;
  /** planned / dense by the budget's metric over the compressible layers. */
  readonly achievedLayers: number;
  /** planned / dense by the budget's metric over the whole model. */
  readonly achievedModel: number;
  /** Wall time of the rank search, milliseconds. */
  readonly searchMs: number;
  /** Method-specific details (scores, thresholds, the scaling factor, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A rank-selection method: a plan that meets the budget, and a report. */
export interface RankSelector {
  readonly name: string;
  /** The plan for `model` that meets `budget`, and the selection report. */
  select(
    model: Module,
    budget: Budget,
    context: SelectionContext,
  ):
    | { plan: FactorizationPlan; report: SelectionReport }
    | Promise<{ plan: FactorizationPlan; report: SelectionReport }>;
}
