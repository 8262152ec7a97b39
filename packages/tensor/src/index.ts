export { TnzipError, isTnzipError } from './errors.js';
export type { TnzipErrorCode } from './errors.js';
export { asMatrix, fromTf, matrix64, matrixToTf, sizeOf, tensor64, toTf } from './float64.js';
export type { Matrix64, Tensor64 } from './float64.js';
export { Rng } from './random.js';
export { svd, svd64 } from './svd.js';
export type { Svd64, SvdOptions } from './svd.js';
export { checkFinite, checkInt, checkMode, checkModes, checkNumber, checkOrder, checkRank, checkShape, checkTensor } from './validate.js';
