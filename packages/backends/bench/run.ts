import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

// Benchmark table for README.md: ResNet-20 inference (batch 1 and 64) and LeNet-5 training
// (batch 64), img/s, on cpu, wasm with 1 and 2 threads, wasm as 2 data-parallel processes, wasm
// with 2 parallelPredictor worker threads (parallel-case.ts, on the @tnzip/zoo ResNet-20 Module,
// against 1-thread model.apply in the same process), and webgpu. Each cell runs in its own process
// (see case.ts); medians over >= 3 timed steps.
// Usage: pnpm bench [seconds-per-cell]   (webgpu needs VK_ICD_FILENAMES, see scripts/ci-webgpu.sh)

const seconds = process.argv[2] ?? '4';
const caseFile = fileURLToPath(new URL('./case.ts', import.meta.url));
const parallelCaseFile = fileURLToPath(new URL('./parallel-case.ts', import.meta.url));
/** tfjs-core's gradient registrations in plain Node (see @tnzip/layers' README). */
const hook = '@tnzip/layers/node-register';
/** A cell that has not finished in this long is reported as slower than what it implies. */
const caseTimeoutMs = 150_000;

interface Result {
  /** NaN when the cell timed out; then `slowerThan` bounds it. */
  slowerThan?: number;
  imgPerSec: number;
  ms: number;
  reps: number;
}

/** Runs a bench script in its own process and returns its JSON line; null when it timed out. */
function runScript(file: string, args: string[]): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', hook, '--import', 'tsx', '--conditions=@tnzip/source', file, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), caseTimeoutMs);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === null) {
        resolve(null);
        return;
      }
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve(line);
      else reject(new Error(`${args.join('/')} exited ${code}: ${err.split('\n').slice(-4).join(' ')}`));
    });
  });
}

async function runCase(backend: string, threads: number, task: string, batch: number): Promise<Result> {
  const line = await runScript(caseFile, [backend, String(threads), task, String(batch), seconds]);
  // Timed out: warm-up plus 3 timed steps did not fit, so fewer than 4 * batch images in the limit.
  if (line === null)
    return { imgPerSec: Number.NaN, ms: Number.NaN, reps: 0, slowerThan: (4 * batch * 1000) / caseTimeoutMs };
  return JSON.parse(line) as Result;
}

/** parallel-case.ts: 1-thread model.apply and parallelPredictor on the same zoo ResNet-20, one process. */
interface ParallelResult {
  inProcess: Result;
  parallel: Result;
  ratio: number;
  maxAbsDiff: number;
  loadavg1: number;
}
let parallelResult: ParallelResult | undefined;

async function runParallelPredictor(workers: number, batch: number): Promise<Result> {
  const line = await runScript(parallelCaseFile, [String(batch), seconds, String(workers)]);
  if (line === null)
    return { imgPerSec: Number.NaN, ms: Number.NaN, reps: 0, slowerThan: (8 * batch * 1000) / caseTimeoutMs };
  parallelResult = JSON.parse(line) as ParallelResult;
  return parallelResult.parallel;
}

/** Data parallel: `workers` processes each run batch/workers at once; throughput adds up. */
async function runDataParallel(workers: number, task: string, batch: number): Promise<Result> {
  const parts = await Promise.all(Array.from({ length: workers }, () => runCase('wasm', 1, task, batch / workers)));
  const imgPerSec = parts.reduce((s, p) => s + p.imgPerSec, 0);
  return { imgPerSec, ms: (1000 * batch) / imgPerSec, reps: Math.min(...parts.map((p) => p.reps)) };
}

const rows: {
  label: string;
  run: (task: string, batch: number) => Promise<Result>;
  /** Cells this row does not measure ('n/a'). */
  skip?: (task: string, batch: number) => boolean;
}[] = [
  { label: 'cpu (tfjs-backend-cpu, JS)', run: (t, b) => runCase('cpu', 1, t, b) },
  { label: 'wasm, 1 thread', run: (t, b) => runCase('wasm', 1, t, b) },
  { label: 'wasm, 2 threads (threaded XNNPACK)', run: (t, b) => runCase('wasm', 2, t, b) },
  { label: 'wasm, 2 data-parallel processes × 1 thread', run: (t, b) => runDataParallel(2, t, b) },
  {
    label: 'wasm, 2 data-parallel workers (parallelPredictor)',
    run: (_t, b) => runParallelPredictor(2, b),
    skip: (t, b) => t !== 'resnet20' || b === 1,
  },
  { label: 'webgpu (Dawn → SwiftShader, no GPU)', run: (t, b) => runCase('webgpu', 1, t, b) },
];
const cols: { label: string; task: string; batch: number }[] = [
  { label: 'ResNet-20 infer, batch 1', task: 'resnet20', batch: 1 },
  { label: 'ResNet-20 infer, batch 64', task: 'resnet20', batch: 64 },
  { label: 'LeNet-5 train, batch 64', task: 'lenet5-train', batch: 64 },
];

const load0 = loadavg()[0] ?? 0;
const table: string[][] = [];
const numbers = new Map<string, number>();
for (const row of rows) {
  const cells = [row.label];
  for (const col of cols) {
    if ((row.label.includes('data-parallel') && col.batch === 1) || row.skip?.(col.task, col.batch) === true) {
      cells.push('n/a');
      continue;
    }
    try {
      const r = await row.run(col.task, col.batch);
      if (Number.isNaN(r.imgPerSec)) {
        cells.push(`< ${(r.slowerThan ?? 0).toPrecision(2)}`);
      } else {
        numbers.set(`${row.label}|${col.label}`, r.imgPerSec);
        cells.push(r.imgPerSec >= 100 ? r.imgPerSec.toFixed(0) : r.imgPerSec.toPrecision(3));
      }
    } catch (e) {
      console.error(String(e));
      cells.push('unavailable');
    }
    process.stderr.write('.');
  }
  table.push(cells);
}
process.stderr.write('\n');

console.log(`| img/s (median) | ${cols.map((c) => c.label).join(' | ')} |`);
console.log(`| --- | ${cols.map(() => '---:').join(' | ')} |`);
for (const r of table) console.log(`| ${r.join(' | ')} |`);
const one = numbers.get(`wasm, 1 thread|ResNet-20 infer, batch 64`);
const two = numbers.get(`wasm, 2 threads (threaded XNNPACK)|ResNet-20 infer, batch 64`);
const dp = numbers.get(`wasm, 2 data-parallel processes × 1 thread|ResNet-20 infer, batch 64`);
if (one !== undefined && two !== undefined) {
  console.log(`\nResNet-20 batch 64, wasm 2 threads / 1 thread: ${(two / one).toFixed(2)}x (goal >= 1.7x)`);
}
if (one !== undefined && dp !== undefined) {
  console.log(`ResNet-20 batch 64, wasm 2 data-parallel processes / 1 thread: ${(dp / one).toFixed(2)}x`);
}
if (parallelResult !== undefined) {
  const p = parallelResult;
  console.log(
    `ResNet-20 (zoo Module) batch 64, parallelPredictor 2 workers / 1-thread model.apply, same process: ` +
      `${p.ratio.toFixed(2)}x (${p.parallel.imgPerSec.toFixed(0)} vs ${p.inProcess.imgPerSec.toFixed(0)} img/s; ` +
      `max |difference| ${p.maxAbsDiff}; load average ${p.loadavg1.toFixed(2)} at its end)`,
  );
}
console.log(
  `load average (1 min) before: ${load0.toFixed(2)}, after: ${(loadavg()[0] ?? 0).toFixed(2)} on ${process.env.HOSTNAME ?? 'this machine'}`,
);
