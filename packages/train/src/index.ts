export { removeStaleTemps, TEMP_PREFIX, writeFileAtomic } from './atomic-write.js';
export type { Checkpoint, CheckpointState } from './checkpoint.js';
export {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
export type { EvalResult, EvaluateOptions } from './evaluate.js';
export { evaluate, UNIT_SCALE } from './evaluate.js';
export type { EpochEndContext, JsonValue, TrainContext, TrainHook } from './hooks.js';
export { crossEntropy, distillationLoss } from './losses.js';
export type { EpochRecord, ErrorRecord, MetricsRecord, StepRecord } from './metrics.js';
export { TIMING_FIELDS, withoutTiming } from './metrics.js';
export type { Optimizer, OptimizerConfig, OptimizerState } from './optimizer.js';
export { createOptimizer } from './optimizer.js';
export type { QuantizeAwareHook } from './quantize-aware.js';
export { quantizeAwareHook } from './quantize-aware.js';
export type { Recipe } from './recipes.js';
export { recipes } from './recipes.js';
export type { LrPlan, ScheduleConfig } from './schedule.js';
export { learningRate } from './schedule.js';
export type {
  CheckpointInfo,
  DistillOptions,
  ProgressEvent,
  TrainData,
  TrainExecution,
  TrainOptions,
  TrainResult,
} from './train.js';
export { CHECKPOINT_DIR, METRICS_FILE, TRAIN_EXECUTIONS, train } from './train.js';
