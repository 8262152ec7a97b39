/**
 * ONNX Runtime as tnzip's speed peer: the test models' dense and compressed LeNet-5 and ResNet-20
 * (the zoo's architectures, built from src/testing-models.ts since @tnzip/zoo depends on this
 * package), each exported with `exportOnnxModel` and run by onnxruntime-node (CPU, 1 thread) and
 * onnxruntime-web (wasm in Node, 1 and 2 threads, each in a child process) beside tnzip on tfjs
 * wasm in the same run, batch 1 and 64. Inference latency in ms, median of the runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as ortNode from 'onnxruntime-node';
import type { Module } from '../src/module.js';
import { exportOnnxModel } from '../src/onnx/export-onnx.js';
import { cifarResNet, lenet5 } from '../src/testing-models.js';

const here = dirname(fileURLToPath(import.meta.url));

interface OnnxRow {
  readonly model: string;
  readonly batch: number;
  readonly tnzip: number;
  readonly ortNode: number;
  readonly web1: number | null;
  readonly web2: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function timeAsync(once: () => Promise<void> | void, runs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function ortWeb(threads: number, runs: [number, number], specs: string[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  try {
    const text = execFileSync(
      process.execPath,
      [join(here, 'onnx-web-child.mjs'), String(threads), ...runs.map(String), ...specs],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 600_000,
      },
    );
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))) {
      const r = JSON.parse(line) as { name: string; batch: number; ms: number | null; error?: string };
      if (r.error !== undefined) console.error(`onnxruntime-web ${threads} threads, ${r.name} b${r.batch}: ${r.error}`);
      out.set(`${r.name}|${r.batch}`, r.ms);
    }
  } catch (e) {
    console.error(`onnxruntime-web ${threads} threads failed: ${String(e).split('\n')[0]}`);
  }
  return out;
}

/** Runs the comparison and returns its markdown table. */
export async function onnxBench(quick: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tnzip-onnx-bench-'));
  const models: Array<[string, () => Module, number[]]> = [
    ['lenet5_dense', () => lenet5(), [28, 28, 1]],
    ['lenet5_tucker2', () => lenet5({ tucker2: true }), [28, 28, 1]],
    ['resnet20_dense', () => cifarResNet(20), [32, 32, 3]],
    ['resnet20_tucker2_half', () => cifarResNet(20, { tucker2Half: true }), [32, 32, 3]],
  ];
  const runs: [number, number] = quick ? [5, 3] : [51, 11];
  const rows: Array<Omit<OnnxRow, 'web1' | 'web2'>> = [];
  const specs: string[] = [];
  try {
    for (const [name, build, shape] of models) {
      const m = build();
      const { bytes } = await exportOnnxModel(m, { inputShape: shape });
      const file = join(dir, `${name}.onnx`);
      writeFileSync(file, bytes);
      const session = await ortNode.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      for (const batch of [1, 64]) {
        const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
        const runsN = batch === 1 ? runs[0] : runs[1];
        const tnzip = await timeAsync(() => {
          const y = m.apply(x);
          y.dataSync();
          y.dispose();
        }, runsN);
        const feeds = {
          [session.inputNames[0] as string]: new ortNode.Tensor('float32', x.dataSync() as Float32Array, x.shape),
        };
        const node = await timeAsync(async () => {
          await session.run(feeds);
        }, runsN);
        x.dispose();
        rows.push({ model: name, batch, tnzip, ortNode: node });
        specs.push(`${name}|${file}|${shape.join(',')}|${batch}`);
        console.error(`${name} b${batch}: tnzip wasm ${tnzip.toFixed(2)} ms, onnxruntime-node ${node.toFixed(2)} ms`);
      }
      await session.release();
      m.dispose();
    }
    const web1 = ortWeb(1, runs, specs);
    const web2 = ortWeb(2, runs, specs);
    const full: OnnxRow[] = rows.map((r) => ({
      ...r,
      web1: web1.get(`${r.model}|${r.batch}`) ?? null,
      web2: web2.get(`${r.model}|${r.batch}`) ?? null,
    }));
    const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));
    const lines = [
      '| model | batch | tnzip wasm (ms) | ort-web wasm 1 thr (ms) | ort-web wasm 2 thr (ms) | ort-node CPU 1 thr (ms) | tnzip / ort-web 1 thr | tnzip / ort-node |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    ];
    for (const r of full)
      lines.push(
        `| ${r.model} | ${r.batch} | ${f(r.tnzip)} | ${f(r.web1)} | ${f(r.web2)} | ${f(r.ortNode)} | ${r.web1 === null ? 'n/a' : (r.tnzip / r.web1).toFixed(2)} | ${(r.tnzip / r.ortNode).toFixed(2)} |`,
      );
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
