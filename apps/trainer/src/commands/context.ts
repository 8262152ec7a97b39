import type { FlagValues } from '../args.js';
import type { Progress } from '../progress.js';

/** What every command receives from the CLI dispatcher. */
export interface CommandContext {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
  readonly argv: readonly string[];
  /** Results: text, or one JSON document with `--json`. */
  readonly out: (text: string) => void;
  /** Progress and notes (stderr). */
  readonly progress: Progress;
  readonly json: boolean;
}
