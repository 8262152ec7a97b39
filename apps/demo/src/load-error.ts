import { isTnzipError } from '@tnzip/tensor';

/**
 * Turns a failure of `load()` into one sentence for the page: the model's directory, the library's
 * message (which names the file: `model.json` or `weights.bin`, with the HTTP status or the check that
 * failed) and its stable code, e.g. `models/ada/: weights.bin fails its SHA-256 check (…) [CORRUPT_FILE]`.
 */
export function describeLoadError(dir: string, e: unknown): string {
  if (isTnzipError(e)) return `${dir}: ${e.message} [${e.code}]`;
  return `${dir}: ${e instanceof Error ? e.message : String(e)}`;
}
