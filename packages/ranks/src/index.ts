/**
 * `@tnzip/ranks`: rank selection under a budget. Every method has one entry shape,
 * `<method>Selector(options) → RankSelector`, and `select(model, budget, context)` returns
 * `{ plan, report }`. The compression pipeline (select → factorize → fine-tune → evaluate → save)
 * is `compress` of `@tnzip/ranks/compress` (Node-only); the solvers under the selectors
 * (`rankProblem`, `fillToBudget`, `batudeProject`, …) are in `@tnzip/ranks/internal`, for
 * selector authors, with no stability promise. This entry imports no Node-only module.
 */

export type { RankCapReport } from './ada-layer-model.js';
export type { ParamRatio, StorageRatios } from './ada-ratios.js';
export { storageRatios } from './ada-ratios.js';
export type { AdaSelectOptions, BiasCounting, ScadaSelectOptions } from './ada-select.js';
export { adaSelector, scadaSelector } from './ada-select.js';
export type { AdaInit } from './ada-train.js';
export { ADA_TRAIN_DEFAULTS } from './ada-train.js';
export type { BatudeSelectorOptions } from './batude.js';
export { BATUDE_DEFAULT_LAMBDA, BATUDE_LAMBDAS, batudeSelector } from './batude.js';
export type { BatudeWeighting } from './batude-admm.js';
export type { BatudeHook, BatudeOptions } from './batude-hook.js';
export { batudeHook } from './batude-hook.js';
export type { Budget, BudgetMetric, BudgetScope, CheckedBudget, CostMetric } from './budget.js';
export { checkBudget, formatBudget, parseBudget } from './budget.js';
export { energySelector } from './energy.js';
export type { GreedyOptions } from './greedy.js';
export { greedySelector } from './greedy.js';
export type { LatencyBudget } from './latency-budget.js';
export { checkLatencyBudget } from './latency-budget.js';
export type { LatencyFloorOptions } from './latency-floor.js';
export { checkLatencyReachable, LATENCY_FLOOR_MARGIN } from './latency-floor.js';
export type { LatencyDetails, LatencySelectorOptions } from './latency-selector.js';
export { latencySelector } from './latency-selector.js';
export type { LatencyEntry, LatencyKey } from './latency-table.js';
export { LatencyTable, latencyKey, layerSignature } from './latency-table.js';
export type { LayerSpace, LayerSpaceOptions, RankFormat, TTDims } from './layer-space.js';
export type { LwiqOptions, LwiqPlanner } from './lwiq.js';
export { lwiqPlanner, lwiqSelector } from './lwiq.js';
export type { LwiqLayerScore, LwiqScoreOptions, LwiqScores } from './lwiq-scores.js';
export { lwiqScores } from './lwiq-scores.js';
export type { LwiqTemplate } from './lwiq-template.js';
export { LWIQ_TEMPLATES } from './lwiq-template.js';
export type { DenseFallback, RankProblemOptions } from './problem.js';
export type { ProxySearchOptions } from './proxy-search.js';
export { PROXY_SEARCH_CANDIDATES, proxySearchSelector } from './proxy-search.js';
export { batchAccuracy, truncatedAccuracy } from './proxy-search-accuracy.js';
export type { RankSpaceProvider } from './rank-space-registry.js';
export { registeredRankFormats, registerRankSpace } from './rank-space-registry.js';
export type {
  Calibration,
  LayerReport,
  RankSelector,
  SelectionContext,
  SelectionReport,
  TrainingPhase,
} from './selector.js';
export type { BaselineOptions } from './uniform.js';
export { uniformSelector } from './uniform.js';
export { vbmfSelector } from './vbmf.js';
