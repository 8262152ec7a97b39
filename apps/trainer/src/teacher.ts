import type { Module } from '@tnzip/layers';
import { loadModelDir } from './model-files.js';
import type { TrainConfig } from './train-config.js';

/**
 * The distillation teacher of a fine-tuning `cfg`: when `cfg.distill` is set, a fresh copy of the
 * dense parent saved in `denseDir` (the caller disposes it); otherwise undefined. A copy of its own,
 * because the model being compressed is factorized in place.
 */
export async function teacherFor(cfg: TrainConfig, denseDir: string): Promise<Module | undefined> {
  return cfg.distill === undefined ? undefined : (await loadModelDir(denseDir)).model;
}
