export type {
  AdaCompressExtra,
  AdaCompressOptions,
  AdaCompressResult,
  AdaInit,
  ScadaCompressOptions,
} from './ada-compress.js';
export { ADA_TRAIN_DEFAULTS, ada, adaCompress, scada, scadaCompress } from './ada-compress.js';
export type { AdjustDimsOptions } from './ada-dims.js';
export {
  ADA_DEFAULT_MAX_DIM,
  ADA_DEFAULT_MAX_ORDER,
  ADA_MAX_ORDER,
  type AdaDimsRule,
  adjustDims,
  autoOrder,
  separateDims,
} from './ada-dims.js';
export { adaMatrixRankCap, genericMatrixRank, type MatrixRankCap } from './ada-rank-cap.js';
export type { ParamRatio, StorageRatios } from './ada-ratios.js';
export { storageRatios } from './ada-ratios.js';
export type { AdaSelectOptions, BiasCounting, ScadaSelectOptions } from './ada-select.js';
export { adaSelector, scadaSelector } from './ada-select.js';
export type {
  BatudeCompressOptions,
  BatudeCompressResult,
  BatudeSelectorOptions,
  BatudeTrainOptions,
} from './batude.js';
export { batude, batudeSelector } from './batude.js';
export type { BatudeHook, BatudeOptions } from './batude-hook.js';
export { batudeHook } from './batude-hook.js';
export type { BatudeSpectra } from './batude-truncate.js';
export { batudeProject, batudeSpectra } from './batude-truncate.js';
export type { BisectOptions, BisectResult } from './bisect.js';
export { bisectBudget } from './bisect.js';
export type { Budget, BudgetMetric } from './budget.js';
export { checkBudget, formatBudget, parseBudget } from './budget.js';
export type { CompressibleLayer } from './compressible.js';
export { compressibleLayers } from './compressible.js';
export { energyRank, energySelector } from './energy.js';
export type { EvbmfResult } from './evbmf.js';
export { evbmf, evbmfFromSingularValues } from './evbmf.js';
export type { FillResult } from './fill.js';
export { fillToBudget } from './fill.js';
export type { GreedyOptions } from './greedy.js';
export { greedySelector } from './greedy.js';
export type { GreedyAllocateOptions, GreedyAllocateResult } from './greedy-allocate.js';
export { greedyAllocate } from './greedy-allocate.js';
export type { LayerSpace, LayerSpaceOptions, RankFormat, TTDims } from './layer-space.js';
export { defaultTTDims, layerSpace } from './layer-space.js';
export type { LwiqCompressOptions, LwiqCompressResult, LwiqOptions } from './lwiq.js';
export { lwiq, lwiqRanks, lwiqSelector } from './lwiq.js';
export type { LwiqLayerScore, LwiqScoreOptions, LwiqScores } from './lwiq-scores.js';
export { imprintAccuracy, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
export type { DenseFallback, RankProblem, RankProblemOptions, RankTable } from './problem.js';
export { checkFeasible, factorizedAt, layerCost, metricOf, planOf, rankProblem, totalCost } from './problem.js';
export type { RankSpaceProvider } from './rank-space-registry.js';
export { registeredRankFormats, registerRankSpace } from './rank-space-registry.js';
export type { ReportOptions } from './report.js';
export { selectionReport } from './report.js';
export type { Calibration, LayerReport, RankSelector, SelectionContext, SelectionReport } from './selector.js';
export { layerSpectra, singularValues } from './spectra.js';
export type { BaselineOptions } from './uniform.js';
export { uniformSelector } from './uniform.js';
export { vbmfSelector } from './vbmf.js';
