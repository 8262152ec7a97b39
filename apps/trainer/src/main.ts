/**
 * Entry point of `tnzip` (run by bin/tnzip.mjs under tsx with the `@tnzip/source` condition): runs
 * the CLI and exits with its code.
 */
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
