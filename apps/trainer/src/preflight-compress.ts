import { verifyModelFiles } from '@tnzip/layers';
import type { CompressRunConfig } from './commands/compress.js';
import { preflight } from './preflight.js';

/**
 * {@link preflight} for a compress run (and the main job): the dataset's headers, the dense
 * model's input shape and, when the dense model is trained here, the budget against the smallest
 * plan of the architecture (a latency budget: against its fastest plan, timed) — all before training; a `--from` model's files (verified, not built);
 * then `out` (null when resuming).
 */
export async function preflightCompress(
  config: CompressRunConfig,
  budgetText: string,
  out: string | null,
): Promise<void> {
  const c = config.compress;
  // A model to compress is checked whole (files, hash, shapes; nothing built) before any work.
  if ('from' in config.source) await verifyModelFiles(config.source.from);
  const trained = 'train' in config.source ? config.source.train : null;
  await preflight({
    dataset: c.finetune,
    ...(trained === null ? {} : { model: trained.model }),
    ...(trained === null
      ? {}
      : {
          budget: {
            method: c.method,
            format: c.format,
            budget: c.budget,
            layers: c.layers,
            denseFallback: c.denseFallback ?? 'none',
            text: budgetText,
            threads: config.backend.threads ?? 1,
          },
        }),
    ...(out === null ? {} : { out }),
  });
}
