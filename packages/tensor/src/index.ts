export type { BalancedDimsOptions } from './balanced-dims.js';
export { balancedDims } from './balanced-dims.js';
export type { CpAlsOptions } from './cp-als.js';
export { cpAls, cpAls64 } from './cp-als.js';
export type { CP64, CPTensor } from './cp-tensor.js';
export { cpParams, cpToTensor, cpToTensor64 } from './cp-tensor.js';
export type { TnzipErrorCode } from './errors.js';
export { isTnzipError, isTnzipErrorCode, TNZIP_ERROR_CODES, TnzipError } from './errors.js';
export type { Matrix64, Tensor64 } from './float64.js';
export { asMatrix, fromTf, fromTfAsync, matrix64, matrixToTf, sizeOf, tensor64, toTf } from './float64.js';
export type { HooiOptions, IterationInfo } from './hooi.js';
export { hooi, hooi64 } from './hooi.js';
export type { HosvdOptions } from './hosvd.js';
export { hosvd, hosvd64 } from './hosvd.js';
export { khatriRao, khatriRao64 } from './khatri-rao.js';
export { kron, kron64 } from './kron.js';
export { gram64, matmul64, transpose64 } from './matmul64.js';
export type { ModeProductOptions } from './mode-product.js';
export { modeProduct, modeProduct64, multiModeProduct, multiModeProduct64 } from './mode-product.js';
export { frobeniusNorm, frobeniusNorm64, relativeError, relativeError64 } from './norms.js';
export { permute64, permuteData64 } from './permute.js';
export { Rng } from './random.js';
export type { RandomizedSvdOptions } from './randomized-svd.js';
export { randomizedSvd, randomizedSvd64 } from './randomized-svd.js';
export type { SharedTucker64, SharedTuckerOptions } from './shared-tucker.js';
export { sharedTucker64 } from './shared-tucker.js';
export type { Svd64, SvdOptions } from './svd.js';
export { leftSingular64, svd, svd64 } from './svd.js';
export type { MatMul2D } from './tt-contract.js';
export { ttContract, ttContractMacs, ttMatrixFull } from './tt-contract.js';
export type { TTMatrix, TTMatrix64, TTMatrixRanks } from './tt-matrix.js';
export {
  ttMatrix,
  ttMatrix64,
  ttMatrixParams,
  ttMatrixRankBounds,
  ttMatrixToMatrix,
  ttMatrixToMatrix64,
} from './tt-matrix.js';
export type { TTRoundOptions } from './tt-round.js';
export { ttRound, ttRound64 } from './tt-round.js';
export type { TTSvdOptions } from './tt-svd.js';
export { ttSvd, ttSvd64 } from './tt-svd.js';
export type { TT64, TTTensor } from './tt-tensor.js';
export { ttParams, ttRankBounds, ttRanks, ttToTensor, ttToTensor64 } from './tt-tensor.js';
export type { TuckerRebuildOptions } from './tucker-rebuild.js';
export { tuckerRebuild } from './tucker-rebuild.js';
export type { Tucker64, TuckerTensor } from './tucker-tensor.js';
export { tuckerParams, tuckerToTensor, tuckerToTensor64 } from './tucker-tensor.js';
export { fold, fold64, unfold, unfold64 } from './unfold.js';
export {
  checkFinite,
  checkInt,
  checkMode,
  checkModes,
  checkNumber,
  checkOneOf,
  checkOrder,
  checkRank,
  checkShape,
  checkTensor,
} from './validate.js';
