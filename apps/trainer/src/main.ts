/**
 * Entry point of `tnzip` (run by bin/tnzip.mjs under tsx with the `@tnzip/source` condition):
 * installs the resolve hook that lets plain Node load tfjs-core's gradient registrations, then runs
 * the CLI and exits with its code. Under the wrapper, ends when the wrapper dies.
 */
// Started by bin/tnzip.mjs (TNZIP_WRAPPED=1): end with the wrapper, even when it is SIGKILLed.
if (process.env.TNZIP_WRAPPED === '1') (await import('./parent-watch.js')).exitWithParent();
await import('@tnzip/layers/node-register');
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
