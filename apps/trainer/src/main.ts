/**
 * Entry point of `tnzip` (run by bin/tnzip.mjs under tsx with the `@tnzip/source` condition):
 * installs the resolve hook that lets plain Node load tfjs-core's gradient registrations, then runs
 * the CLI and exits with its code.
 */
import { register } from 'node:module';

register('../bin/esm-resolve-hook.mjs', import.meta.url);
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
