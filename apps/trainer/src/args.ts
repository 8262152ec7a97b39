import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';

/** One flag of a command: its parseArgs type, the value's placeholder and a help line. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in help (`N`, `DIR`, …); absent for booleans. */
  readonly value?: string;
  readonly help: string;
}

/** Flags every command accepts. */
export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  json: { type: 'boolean', help: 'print one JSON object on stdout instead of text (progress stays on stderr)' },
  backend: {
    type: 'string',
    value: 'auto|wasm|webgpu|cpu',
    help: 'tfjs backend (default: $TNZIP_BACKEND, else wasm)',
  },
  seed: {
    type: 'string',
    value: 'N',
    help: 'seed of model init, shuffling and augmentation, in [0, 2^32) (default 0)',
  },
};

/** Parsed flags: strings and booleans by flag name, only those given on the command line. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/**
 * Parses `argv` against `flags` (Node's `util.parseArgs`, strict). No defaults are applied here, so
 * a command can tell a flag the user gave from one it fills in.
 *
 * @throws UsageError naming an unknown flag, a missing value or an unexpected positional argument.
 */
export function parseFlags(
  command: string,
  argv: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
  maxPositionals: number,
): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, f] of Object.entries(flags)) {
    options[name] = f.short === undefined ? { type: f.type } : { type: f.type, short: f.short };
  }
  // parseArgs refuses `--epochs -1` as ambiguous; join a negative number to its flag so that the
  // range check can say what is wrong with the value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name !== null && flags[name]?.type === 'string' && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)} (see 'tnzip ${command} --help')`);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(' ');
    throw new UsageError(`${command}: unexpected argument '${extra}' (see 'tnzip ${command} --help')`);
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals };
}

/** The string value of `--name`, or undefined when absent. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * `--name` as an integer in `[min, max]`, or undefined when absent.
 * @throws UsageError naming the flag and the range (e.g. `--epochs -1`).
 */
export function int(values: FlagValues, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(s.trim()) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be ${range}, got '${s}'`);
  }
  return n;
}

/**
 * `--name` as a finite number in `[min, max]` (or `(min, max]` when `minExclusive`), or undefined.
 * @throws UsageError naming the flag and the range.
 */
export function num(
  values: FlagValues,
  name: string,
  min: number,
  max: number,
  minExclusive = false,
): number | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  const n = s.trim() === '' ? Number.NaN : Number(s);
  if (!Number.isFinite(n) || n > max || (minExclusive ? n <= min : n < min)) {
    throw new UsageError(`--${name} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got '${s}'`);
  }
  return n;
}

/**
 * `--name` as one of `choices`, or undefined.
 * @throws UsageError listing the allowed values.
 */
export function choice<T extends string>(
  values: FlagValues,
  name: string,
  choices: readonly T[],
  what = 'value',
): T | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  if (!(choices as readonly string[]).includes(s)) {
    throw new UsageError(`unknown ${what} '${s}' for --${name} (valid: ${choices.join(', ')})`);
  }
  return s as T;
}

/** Help text of a command: usage line, description, then every flag with its help. */
export function formatHelp(usage: string, description: string, flags: Readonly<Record<string, FlagSpec>>): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short === undefined ? '    ' : `-${f.short}, `}--${name}${f.value === undefined ? '' : ` ${f.value}`}`;
    return [left, f.help] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)));
  const lines = rows.map(([l, h]) =>
    l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${h}` : `  ${l.padEnd(width)}  ${h}`,
  );
  return `usage: ${usage}\n\n${description}\n\noptions:\n${lines.join('\n')}\n`;
}
