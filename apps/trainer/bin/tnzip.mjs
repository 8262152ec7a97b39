#!/usr/bin/env node
// `tnzip`: runs src/main.ts in a child Node with tsx and the `@tnzip/source` export condition, so the
// CLI runs the workspace's TypeScript sources without a build. Signals are forwarded to the child and
// its exit code (or signal) is passed on.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(
  process.execPath,
  ['--conditions=@tnzip/source', '--import', tsx, join(here, '..', 'src', 'main.ts'), ...process.argv.slice(2)],
  // Under `pnpm start` / `pnpm --filter … tnzip` the script runs in apps/trainer; INIT_CWD is where the
  // user typed the command, so runs/ and relative paths land there.
  {
    stdio: 'inherit',
    cwd: process.env.npm_lifecycle_event !== undefined ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd(),
  },
);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
