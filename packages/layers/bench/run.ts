/**
 * `pnpm bench` entry: installs the resolve hook that lets plain Node load tfjs-core's gradient
 * registrations (see node/register.mjs), then runs the benchmarks. `--quick` for a short run.
 */

await import('../node/register.mjs');
const { main } = await import('./main.js');
await main(process.argv.slice(2));
