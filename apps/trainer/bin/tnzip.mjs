#!/usr/bin/env node
// `tnzip`: runs src/main.ts in a child Node with tsx and the `@tnzip/source` export condition, so the
// CLI runs the workspace's TypeScript sources without a build. Signals are forwarded to the child and
// its exit code (or signal) is passed on. The child holds an IPC channel to this process and sees it
// close when this process dies (even by SIGKILL, which cannot be forwarded): it then ends too
// (src/parent-watch.ts), so no orphaned trainer keeps writing checkpoints.
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
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TNZIP_WRAPPED: '1' },
    cwd: process.env.npm_lifecycle_event !== undefined ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd(),
  },
);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
