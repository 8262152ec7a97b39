import type { Module } from '../module.js';
import { type KerasExporter, noStockForm } from './export-common.js';
import { exportConv2d, exportLinear } from './export-dense.js';

/** A factorized layer that can rebuild its dense equivalent. */
interface Reconstructible extends Module {
  toDense(): Module;
}

/** True when `m` has a `toDense()` (every factorized kind has). */
export function isReconstructible(m: Module): m is Reconstructible {
  return typeof (m as Partial<Reconstructible>).toDense === 'function';
}

/**
 * A factorized layer with no stock form (ADA/SCADA-Tucker, or any kind without an exporter)
 * → its reconstructed dense Conv2D / Dense. The factorized form is lost: the report lists the
 * layer with its tnzip and exported parameter counts.
 */
export const exportReconstructed: KerasExporter = (module, x, ctx) => {
  if (!isReconstructible(module)) throw noStockForm(module, ctx, 'has no exporter and no toDense()');
  const dense = module.toDense();
  try {
    const r = dense.kind === 'linear' ? exportLinear(dense, x, ctx) : exportConv2d(dense, x, ctx);
    return { output: r.output, form: 'reconstructed' };
  } finally {
    dense.dispose();
  }
};
