import type { Module, Shape } from '@tnzip/layers';
import { summary } from '@tnzip/layers';
import type { SelectionReport } from '@tnzip/ranks';
import type { LrChoice } from './finetune-lr.js';
import type { Latency } from './latency.js';

/** A row of a per-layer table: what `tnzip summary` prints and the report plots. */
export interface LayerRow {
  readonly name: string;
  readonly kind: string;
  /** Output shape, no batch axis. */
  readonly shape: readonly number[];
  /** Ranks as the layer's config holds them (`''` for a dense layer). */
  readonly ranks: string;
  readonly params: number;
  readonly macs: number;
}

/** Measurements of one saved model. Accuracies are fractions in [0, 1]. */
export interface ModelResult {
  /** The model directory, relative to the run directory when inside it. */
  readonly dir: string;
  readonly testAcc: number;
  readonly testTop5: number;
  readonly testLoss: number;
  readonly testCount: number;
  readonly params: number;
  readonly macs: number;
  /** Bytes of model.json + weights.bin. */
  readonly bytes: number;
  readonly latency: Latency | null;
  readonly layers: readonly LayerRow[];
}

/**
 * `results.json`: what a run measured, the source of `report.md`, `report.json` and the plots
 * (`tnzip report` re-renders them from this, `config.json` and the metrics logs).
 */
export interface Results {
  readonly command: 'train' | 'compress';
  readonly model: string;
  readonly dataset: string;
  /** The dense model (trained by this run, or loaded with `--from`). */
  readonly dense: ModelResult;
  readonly compressed?: ModelResult;
  /** Test accuracy of the factorized model before fine-tuning. */
  readonly beforeFinetune?: { readonly testAcc: number; readonly testLoss: number };
  readonly selection?: SelectionReport;
  /** Wall seconds of the whole command. */
  readonly wallSeconds: number;
  /**
   * compress: wall seconds of the rank search (BATUDE: its phase-1 training; from the selector's
   * report) and of the fine-tuning, apart. Absent in older results.
   */
  readonly timing?: { readonly searchSeconds: number; readonly finetuneSeconds: number };
  /** Epochs of dense training and of fine-tuning run by this command (0 when loaded). */
  readonly epochs: { readonly dense: number; readonly finetune: number };
  /** compress `--finetune-lr auto`: the lr chosen and its validation probes. */
  readonly finetuneLr?: LrChoice;
}

/** Per-layer rows of `model` on inputs of `inputShape` (@tnzip/layers `summary`). */
export function layerRows(model: Module, inputShape: Shape): { rows: LayerRow[]; params: number; macs: number } {
  const s = summary(model, inputShape);
  return {
    rows: s.rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      shape: [...r.outputShape],
      ranks: r.ranks,
      params: r.params,
      macs: r.macs,
    })),
    params: s.total.params,
    macs: s.total.macs,
  };
}
