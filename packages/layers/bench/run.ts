/**
 * `pnpm bench` entry: installs the resolve hook that lets plain Node load tfjs-core's gradient
 * registrations (see esm-resolve-hook.mjs), then runs the benchmarks. `--quick` for a short run.
 */
import { register } from 'node:module';

register('./esm-resolve-hook.mjs', import.meta.url);
const { main } = await import('./main.js');
await main(process.argv.slice(2));
