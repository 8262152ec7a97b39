/**
 * Exit codes of `tnzip` (documented in the README):
 * - 0 success;
 * - 1 runtime failure (training diverged, a backend could not start, an unexpected error);
 * - 2 usage error (unknown command, flag, model, method or dataset; a value out of range);
 * - 3 data or file error (missing dataset directory, corrupt or truncated file, unwritable output).
 */
export const EXIT = { ok: 0, runtime: 1, usage: 2, file: 3 } as const;

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * A command-line mistake found by the CLI itself (before any library call): exit code 2.
 * `message` names the flag and what it accepts.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem with a file or directory the CLI itself found (not a TnzipError): exit code 3. */
export class FileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileError';
  }
}

const FILE_CODES = new Set(['NOT_FOUND', 'CORRUPT_FILE', 'IO_ERROR', 'UNSUPPORTED_VERSION']);
const USAGE_CODES = new Set(['INVALID_ARGUMENT', 'INVALID_BUDGET', 'INVALID_RANK', 'INVALID_MODE']);

/**
 * The exit code for an error: {@link UsageError} → 2, {@link FileError} → 3, a TnzipError by its
 * code (NOT_FOUND, CORRUPT_FILE, IO_ERROR, UNSUPPORTED_VERSION → 3; INVALID_ARGUMENT,
 * INVALID_BUDGET, INVALID_RANK, INVALID_MODE → 2, since options reach the libraries unchanged from
 * the command line; NON_FINITE, BACKEND_UNAVAILABLE, SHAPE_MISMATCH → 1), anything else → 1.
 * Unknown model names are caught as usage errors before the zoo's NOT_FOUND could say 3.
 */
export function exitCodeOf(e: unknown): ExitCode {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof FileError) return EXIT.file;
  const code = (e as { code?: unknown } | null)?.code;
  if ((e as { name?: unknown } | null)?.name === 'TnzipError' && typeof code === 'string') {
    if (FILE_CODES.has(code)) return EXIT.file;
    if (USAGE_CODES.has(code)) return EXIT.usage;
    return EXIT.runtime;
  }
  // Node's own file-system errors (EACCES, ENOENT, EROFS, ENOSPC, …) that escaped a wrapper.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof (e as { path?: unknown }).path === 'string')
    return EXIT.file;
  return EXIT.runtime;
}

/** True for errors a user can fix from the message alone: printed without a stack trace. */
export function isExpected(e: unknown): boolean {
  return exitCodeOf(e) !== EXIT.runtime || (e as { name?: unknown } | null)?.name === 'TnzipError';
}

/** One line: the error's message with newlines folded, no stack. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
