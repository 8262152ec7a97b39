import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A real `redis-server` a test started on a loopback port (append-only persistence in a temp dir). */
export interface TestRedis {
  readonly port: number;
  readonly dir: string;
  /** `redis://[:password@]127.0.0.1:PORT/0`. */
  readonly url: string;
  /** Stops the server (SIGTERM: Redis flushes its append-only file) and starts it again on the same port and files. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function launch(port: number, dir: string, password?: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''];
  if (password !== undefined) args.push('--requirepass', password);
  const proc = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 20 s:\n${log}`)), 20_000);
    proc.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${log}`));
    });
  });
}

async function halt(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

/** Starts Debian's `/usr/bin/redis-server` on a free loopback port in a fresh temp dir. */
export async function startRedis(password?: string): Promise<TestRedis> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-redis-'));
  const port = await freePort();
  let proc = await launch(port, dir, password);
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    port,
    dir,
    url: `redis://${auth}127.0.0.1:${port}/0`,
    async restart() {
      await halt(proc);
      proc = await launch(port, dir, password);
    },
    async stop() {
      await halt(proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
