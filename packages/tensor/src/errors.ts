/**
 * Stable error codes. A code never changes meaning once released; messages may be reworded.
 *
 * - `INVALID_ARGUMENT`: a value outside its allowed set or range (the message names both).
 * - `INVALID_MODE`: a tensor mode (axis) index outside `[0, order)` or repeated.
 * - `INVALID_RANK`: a rank that is not an integer, below 1, or above its bound.
 * - `SHAPE_MISMATCH`: shapes that do not fit together (or a tensor of the wrong order).
 * - `NON_FINITE`: NaN or ±Infinity in an input (or produced while training).
 * - `INVALID_BUDGET`: a budget outside `(0, 1]` or of an unknown metric.
 * - `CORRUPT_FILE`: a model, checkpoint or data file that cannot be parsed or fails its checks.
 * - `UNSUPPORTED_VERSION`: a file format version this build does not read.
 * - `NOT_FOUND`: a named file, dataset, model, layer or method that does not exist.
 * - `IO_ERROR`: the file system refused a read or a write.
 * - `BACKEND_UNAVAILABLE`: a requested tfjs backend could not be initialized.
 */
export const TNZIP_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_MODE',
  'INVALID_RANK',
  'SHAPE_MISMATCH',
  'NON_FINITE',
  'INVALID_BUDGET',
  'CORRUPT_FILE',
  'UNSUPPORTED_VERSION',
  'NOT_FOUND',
  'IO_ERROR',
  'BACKEND_UNAVAILABLE',
] as const;

/** One of {@link TNZIP_ERROR_CODES}. */
export type TnzipErrorCode = (typeof TNZIP_ERROR_CODES)[number];

/** True when `value` is one of the {@link TNZIP_ERROR_CODES} (e.g. a code that crossed a thread as a string). */
export function isTnzipErrorCode(value: unknown): value is TnzipErrorCode {
  return (TNZIP_ERROR_CODES as readonly unknown[]).includes(value);
}

/**
 * The one error class thrown by every tnzip package. Catch it and switch on `code`;
 * the message names the offending parameter and the allowed range.
 *
 * @example
 * try { hosvd(x, [0, 3]) } catch (e) { if (e instanceof TnzipError && e.code === 'INVALID_RANK') … }
 */
export class TnzipError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: TnzipErrorCode;

  constructor(code: TnzipErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TnzipError';
    this.code = code;
  }
}

/** True when `e` is a {@link TnzipError}, optionally with the given code. */
export function isTnzipError(e: unknown, code?: TnzipErrorCode): e is TnzipError {
  return e instanceof TnzipError && (code === undefined || e.code === code);
}
