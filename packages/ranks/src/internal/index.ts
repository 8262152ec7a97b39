/**
 * `@tnzip/ranks/internal`: the solvers and helpers the selectors are built from — for writing a
 * new selector. No stability promise: names and signatures may change in any release.
 */
export type { AdaDimsRule, AdjustDimsOptions } from '../ada-dims.js';
export {
  ADA_DEFAULT_MAX_DIM,
  ADA_DEFAULT_MAX_ORDER,
  ADA_MAX_ORDER,
  adjustDims,
  autoOrder,
  separateDims,
} from '../ada-dims.js';
export type { MatrixRankCap } from '../ada-rank-cap.js';
export { adaMatrixRankCap, genericMatrixRank } from '../ada-rank-cap.js';
export type { BatudeSpectra } from '../batude-truncate.js';
export { batudeProject, batudeSpectra } from '../batude-truncate.js';
export type { BisectOptions, BisectResult } from '../bisect.js';
export { bisectBudget } from '../bisect.js';
export { budgetLimit, metricOf } from '../budget.js';
export type { CompressibleLayer } from '../compressible.js';
export { compressibleLayers } from '../compressible.js';
export { energyRank } from '../energy.js';
export type { EvbmfResult } from '../evbmf.js';
export { evbmf, evbmfFromSingularValues } from '../evbmf.js';
export type { FillResult } from '../fill.js';
export { fillToBudget } from '../fill.js';
export { finishSelection, ranksByLayer } from '../finish.js';
export type { GreedyAllocateOptions, GreedyAllocateResult } from '../greedy-allocate.js';
export { greedyAllocate } from '../greedy-allocate.js';
export type { LayerSpace, LayerSpaceOptions } from '../layer-space.js';
export { defaultTTDims, layerSpace } from '../layer-space.js';
export { imprintAccuracy, lwiqScoreComputations } from '../lwiq-scores.js';
export { lwiqRanks, templateToBudget } from '../lwiq-template.js';
export type { RankProblem, RankTable } from '../problem.js';
export { checkFeasible, factorizedAt, layerCost, planOf, rankProblem, totalCost } from '../problem.js';
export type { ReportOptions } from '../report.js';
export { selectionReport } from '../report.js';
export { layerSpectra, singularValues } from '../spectra.js';
