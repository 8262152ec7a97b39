/*
 * `pnpm bench`: times tnzip's float64 SVD, HOSVD, HOOI and TT-SVD against numpy/LAPACK
 * (../shared/bench/numpy_reference.py, single-threaded) IN THE SAME RUN, case by case (the
 * reference runs right before the tnzip case, so slow drift of a shared machine hits both), and
 * prints time, ratio and relative error. Options:
 *   --quick        3 timed runs instead of >= 5, and skip the slowest cases (512-sized HOSVD/HOOI)
 *   --case NAME    run only this case (repeatable; names as in numpy_reference.py --list)
 *   --runs N       timed runs per case (default 5; --quick 3)
 *   --sweeps K     HOOI sweeps on both sides (default 5; the reference gets --hooi-tol 0)
 *   --markdown     print the table as Markdown (for the README)
 *   --js-kernels   time the JavaScript kernels (the fallback where wasm SIMD cannot run)
 * The output names the CPU, tnzip's kernels and the reference's own header line (numpy, BLAS
 * library, OpenBLAS core type), to print next to every table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  hooi64,
  hosvd64,
  type Matrix64,
  matmul64,
  Rng,
  relativeError64,
  svd64,
  type Tensor64,
  ttSvd64,
  ttToTensor64,
  tuckerToTensor64,
} from '../src/index.js';
import { setWasmKernels, wasmKernels } from '../src/internal/wasm-kernels.js';

interface Args {
  quick: boolean;
  cases: string[];
  runs: number;
  sweeps: number;
  markdown: boolean;
  jsKernels: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, cases: [], runs: 0, sweeps: 5, markdown: false, jsKernels: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${s} needs a value`);
      return v;
    };
    if (s === '--quick') a.quick = true;
    else if (s === '--markdown') a.markdown = true;
    else if (s === '--js-kernels') a.jsKernels = true;
    else if (s === '--case') a.cases.push(next());
    else if (s === '--runs') a.runs = Number(next());
    else if (s === '--sweeps') a.sweeps = Number(next());
    else if (s === '--') continue;
    else
      throw new Error(
        `unknown option ${s} (allowed: --quick, --case NAME, --runs N, --sweeps K, --markdown, --js-kernels)`,
      );
  }
  if (a.runs === 0) a.runs = a.quick ? 3 : 5;
  return a;
}

interface Case {
  name: string;
  /** Skipped by --quick. */
  slow?: boolean;
  /** Builds the input (not timed) and returns the timed function, which returns its rel. error. */
  setup(args: Args): () => () => number;
  note?: (args: Args) => string;
}

function gaussianTensor(shape: readonly number[], seed = 0): Tensor64 {
  let n = 1;
  for (const d of shape) n *= d;
  return { shape: [...shape], data: new Rng(seed).normals(n) };
}

function svdCase(rows: number, cols: number): Case {
  return {
    name: `svd_${rows}x${cols}`,
    setup: () => {
      const a: Matrix64 = { rows, cols, data: gaussianTensor([rows, cols]).data };
      return () => {
        const r = svd64(a);
        return () => {
          const k = r.s.length;
          const us = new Float64Array(r.u.data);
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < k; j++) us[i * k + j] = (us[i * k + j] as number) * (r.s[j] as number);
          const rec = matmul64({ rows, cols: k, data: us }, r.v, false, true);
          return relativeError64({ shape: [rows, cols], data: a.data }, { shape: [rows, cols], data: rec.data });
        };
      };
    },
  };
}

function tuckerCase(kind: 'hosvd' | 'hooi', shape: number[], ranks: number[], slow = false): Case {
  return {
    name: `${kind}_${shape.join('x')}`,
    slow,
    setup: (args) => {
      const x = gaussianTensor(shape);
      return () => {
        const t = kind === 'hosvd' ? hosvd64(x, ranks) : hooi64(x, ranks, { maxIter: args.sweeps, tol: 0 });
        return () => relativeError64(x, tuckerToTensor64(t));
      };
    },
    note: (args) => (kind === 'hooi' ? `${args.sweeps} sweeps` : ''),
  };
}

function ttCase(name: string, shape: number[], slow = false): Case {
  return {
    name,
    slow,
    setup: () => {
      const x = gaussianTensor(shape);
      return () => {
        const tt = ttSvd64(x, { maxRank: 16 });
        return () => relativeError64(x, ttToTensor64(tt));
      };
    },
  };
}

const CASES: Case[] = [
  svdCase(512, 4608),
  svdCase(4608, 512),
  tuckerCase('hosvd', [3, 3, 64, 64], [3, 3, 32, 32]),
  tuckerCase('hooi', [3, 3, 64, 64], [3, 3, 32, 32]),
  tuckerCase('hosvd', [3, 3, 256, 256], [3, 3, 128, 128]),
  tuckerCase('hooi', [3, 3, 256, 256], [3, 3, 128, 128]),
  tuckerCase('hosvd', [3, 3, 512, 512], [3, 3, 256, 256], true),
  tuckerCase('hooi', [3, 3, 512, 512], [3, 3, 256, 256], true),
  tuckerCase('hosvd', [16, 16, 16, 16], [8, 8, 8, 8]),
  tuckerCase('hooi', [16, 16, 16, 16], [8, 8, 8, 8]),
  ttCase('ttsvd_3x3x64x64', [3, 3, 64, 64]),
  ttCase('ttsvd_8x8x8x8x8x8', [8, 8, 8, 8, 8, 8]),
  // The 512x4608 Gaussian matrix, reshaped (row-major, as numpy's reshape).
  ttCase('ttsvd_512x4608_as_8x8x8x16x16x18', [8, 8, 8, 16, 16, 18]),
];

interface RefRow {
  case: string;
  value: number;
  rel_error: number;
  runs: number;
  cpu_per_wall?: number;
  sweeps?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const refScript = path.resolve(repoRoot, '..', 'shared', 'bench', 'numpy_reference.py');
/** The reference's "# numpy_reference: …" line (versions, threads, CPU, BLAS, OpenBLAS core), once seen. */
let refHeader = '';

function reference(name: string, args: Args): RefRow | undefined {
  if (!existsSync(refScript)) return undefined;
  const flags = ['--threads', '1', '--case', name, '--hooi-tol', '0', '--hooi-max-sweeps', String(args.sweeps)];
  if (args.quick) flags.push('--runs', String(args.runs));
  const res = spawnSync('/usr/bin/python3', [refScript, ...flags], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (res.status !== 0) {
    const why = res.error?.message ?? res.stderr.trim().split('\n').at(-1) ?? `exit ${res.status}`;
    process.stderr.write(`numpy reference failed for ${name}: ${why}\n`);
    return undefined;
  }
  // Notes, the header line among them, go to the reference's stderr; the JSON rows to stdout.
  refHeader ||=
    res.stderr
      .split('\n')
      .find((l) => l.startsWith('# numpy_reference:'))
      ?.slice(2) ?? '';
  const rows = res.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RefRow);
  return rows.find((r) => r.case === name);
}

function timeTnzip(
  run: () => () => number,
  runs: number,
): { ms: number; min: number; max: number; err: number; cpuPerWall: number } {
  // Warm-up: at least one call and about 0.25 s, as the reference does (JIT tiers settle).
  let errOf = run();
  const w0 = performance.now();
  while (performance.now() - w0 < 250) errOf = run();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    errOf = run();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  return {
    ms: times[Math.floor(times.length / 2)] as number,
    min: times[0] as number,
    max: times[times.length - 1] as number,
    err: errOf(),
    cpuPerWall: (cpu.user + cpu.system) / 1000 / wall,
  };
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function fmtErr(e: number): string {
  return e < 1e-3 ? e.toExponential(1) : e.toFixed(6);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  setWasmKernels(!args.jsKernels);
  const kernels = wasmKernels() ? 'wasm SIMD128 kernels' : 'JavaScript kernels';
  const known = new Set(CASES.map((c) => c.name));
  for (const c of args.cases) if (!known.has(c)) throw new Error(`unknown case ${c}; known: ${[...known].join(', ')}`);
  const selected = CASES.filter((c) => (args.cases.length > 0 ? args.cases.includes(c.name) : !(args.quick && c.slow)));
  if (!existsSync(refScript)) process.stderr.write(`numpy reference not found at ${refScript}: tnzip times only\n`);
  const load = (): string =>
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
  const loadBefore = load();
  process.stderr.write(`load average ${loadBefore} on ${os.cpus().length} CPUs (a busy machine distorts both sides)\n`);
  process.stderr.write(
    `node ${process.version}, ${args.runs} timed runs per case (median), HOOI ${args.sweeps} sweeps on both sides\n`,
  );
  const rows: string[][] = [];
  // On a busy machine both processes get only part of a core (cpu/wall < 1, e.g. 0.3); the
  // ratio of CPU times (median ms x cpu/wall) is then the fairer comparison, and both are shown.
  const header = [
    'case',
    'tnzip ms',
    'numpy ms',
    'tnzip/numpy',
    'cpu-time ratio',
    'tnzip rel err',
    'numpy rel err',
    'note',
  ];
  for (const c of selected) {
    const ref = reference(c.name, args);
    const mine = timeTnzip(c.setup(args), args.runs);
    const row = [
      c.name,
      fmtMs(mine.ms),
      ref ? fmtMs(ref.value) : '–',
      ref ? `${(mine.ms / ref.value).toFixed(2)}x` : '–',
      ref?.cpu_per_wall !== undefined
        ? `${((mine.ms * mine.cpuPerWall) / (ref.value * ref.cpu_per_wall)).toFixed(2)}x`
        : '–',
      fmtErr(mine.err),
      ref ? fmtErr(ref.rel_error) : '–',
      [c.note?.(args) ?? '', `cpu/wall tnzip ${mine.cpuPerWall.toFixed(2)}, numpy ${ref?.cpu_per_wall ?? '–'}`]
        .filter(Boolean)
        .join('; '),
    ];
    rows.push(row);
    process.stderr.write(`${row.join('  ')}  (tnzip min ${fmtMs(mine.min)} max ${fmtMs(mine.max)})\n`);
  }
  const loadLine = [
    `load average (1/5/15 min) before ${loadBefore}, after ${load()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
    `tnzip: node ${process.version}, ${kernels}`,
    `reference: ${refHeader || 'not run'}`,
  ].join('\n');
  if (args.markdown) {
    console.log(`${loadLine.split('\n').join('  \n')}\n`);
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map((_, i) => (i === 0 || i === 7 ? '---' : '---:')).join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (r: string[]): string =>
      r
        .map((x, i) => (i === 0 || i === 7 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number)))
        .join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log(loadLine);
  }
}

main();
