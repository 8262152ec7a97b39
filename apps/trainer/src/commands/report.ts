import * as path from 'node:path';
import { COMMON_FLAGS, type FlagSpec, formatHelp } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { formatTable, renderReport } from '../report.js';
import { REPORT_HTML } from '../report-html.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip report`. */
export const REPORT_FLAGS: Readonly<Record<string, FlagSpec>> = { ...COMMON_FLAGS };

/** `tnzip report --help`. */
export const REPORT_HELP = formatHelp(
  'tnzip report RUN_DIR',
  "Re-renders a run's report.html (tables and plots in one page), report.md, report.json and SVG plots from\nits config.json, results.json and metrics logs (no model is run; --backend and --seed are accepted and ignored).",
  REPORT_FLAGS,
);

/** `tnzip report`. */
export async function reportCommand(ctx: CommandContext): Promise<number> {
  const dir = ctx.positionals[0];
  if (dir === undefined) throw new UsageError("report needs a run directory (see 'tnzip report --help')");
  const report = await renderReport(dir);
  if (ctx.json) ctx.out(JSON.stringify(report));
  else
    ctx.out(
      `${formatTable(report.table)}\n\nwrote ${[REPORT_HTML, 'report.md', 'report.json', ...report.plots].map((f) => path.join(dir, f)).join(', ')}`,
    );
  return 0;
}
