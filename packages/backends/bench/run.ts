import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

// Benchmark table for README.md: ResNet-20 inference (batch 1 and 64) and LeNet-5 training
// (batch 64), img/s, on cpu, wasm with 1 and 2 threads, wasm as 2 data-parallel processes, and
// webgpu. Each cell runs in its own process (see case.ts); medians over >= 3 timed steps.
// Usage: pnpm bench [seconds-per-cell]   (webgpu needs VK_ICD_FILENAMES, see scripts/ci-webgpu.sh)

const seconds = process.argv[2] ?? '4';
const caseFile = fileURLToPath(new URL('./case.ts', import.meta.url));
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

function runCase(backend: string, threads: number, task: string, batch: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        hook,
        '--import',
        'tsx',
        '--conditions=@tnzip/source',
        caseFile,
        backend,
        String(threads),
        task,
        String(batch),
        seconds,
      ],
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
        // Warm-up plus 3 timed steps did not fit: fewer than 4 * batch images in the limit.
        resolve({ imgPerSec: Number.NaN, ms: Number.NaN, reps: 0, slowerThan: (4 * batch * 1000) / caseTimeoutMs });
        return;
      }
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line) as Result);
      else
        reject(
          new Error(`${backend}/${threads}/${task}/${batch} exited ${code}: ${err.split('\n').slice(-4).join(' ')}`),
        );
    });
  });
}

/** Data parallel: `workers` processes each run batch/workers at once; throughput adds up. */
async function runDataParallel(workers: number, task: string, batch: number): Promise<Result> {
  const parts = await Promise.all(Array.from({ length: workers }, () => runCase('wasm', 1, task, batch / workers)));
  const imgPerSec = parts.reduce((s, p) => s + p.imgPerSec, 0);
  return { imgPerSec, ms: (1000 * batch) / imgPerSec, reps: Math.min(...parts.map((p) => p.reps)) };
}

const rows: { label: string; run: (task: string, batch: number) => Promise<Result> }[] = [
  { label: 'cpu (tfjs-backend-cpu, JS)', run: (t, b) => runCase('cpu', 1, t, b) },
  { label: 'wasm, 1 thread', run: (t, b) => runCase('wasm', 1, t, b) },
  { label: 'wasm, 2 threads (threaded XNNPACK)', run: (t, b) => runCase('wasm', 2, t, b) },
  { label: 'wasm, 2 data-parallel processes × 1 thread', run: (t, b) => runDataParallel(2, t, b) },
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
    if (row.label.includes('data-parallel') && col.batch === 1) {
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
console.log(
  `load average (1 min) before: ${load0.toFixed(2)}, after: ${(loadavg()[0] ?? 0).toFixed(2)} on ${process.env.HOSTNAME ?? 'this machine'}`,
);
