import type * as tf from '@tensorflow/tfjs-core';
import type { FactorizationPlan, LayerPlan, Module, Shape } from '@tnzip/layers';
import type { Budget } from './budget.js';

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
  /** Seed for anything random. */
  readonly seed?: number;
}

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
  readonly budget: Budget;
  readonly layers: readonly LayerReport[];
  /** Cost of the compressible layers, dense and planned, summed over `layers`. */
  readonly dense: { readonly params: number; readonly macs: number };
  readonly planned: { readonly params: number; readonly macs: number };
  /** planned / dense by the budget's metric: what the plan actually keeps. */
  readonly achieved: number;
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
