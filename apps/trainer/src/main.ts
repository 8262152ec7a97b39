/**
 * Entry point of `tnzip` (run by bin/tnzip.mjs under tsx with the `@tnzip/source` condition): runs
 * the CLI and exits with its code. Under the wrapper, ends when the wrapper dies.
 */
// Started by bin/tnzip.mjs (TNZIP_WRAPPED=1): end with the wrapper, even when it is SIGKILLed.
if (process.env.TNZIP_WRAPPED === '1') (await import('./parent-watch.js')).exitWithParent();
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
