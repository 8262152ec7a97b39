import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '../src/ops/register-gradients.js';
import type { Module } from '../src/module.js';
import { cifarResNet, lenet5, lenet300100 } from '../src/testing-models.js';
import { loadMnistTrain } from './mnist.js';
import { onnxBench } from './onnx.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const torchScript = resolve(pkgDir, '../../../shared/bench/torch_reference.py');

interface Row {
  readonly case: string;
  readonly unit: 'img/s' | 'ms';
  readonly tnzip: number;
  readonly torch: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function torchReference(sub: 'lenet' | 'resnet', quick: boolean): Map<string, { value: number }> {
  if (!existsSync('/usr/bin/python3') || !existsSync(torchScript)) {
    console.error(`no PyTorch reference (${torchScript} or /usr/bin/python3 missing)`);
    return new Map();
  }
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [torchScript, sub, '--threads', '1', ...(quick ? ['--runs', '3'] : [])],
      {
        cwd: pkgDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 16 << 20,
      },
    );
    return new Map(
      out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          const r = JSON.parse(l) as { case: string; value: number };
          return [r.case, r];
        }),
    );
  } catch (e) {
    console.error(`PyTorch reference failed: ${String(e)}`);
    return new Map();
  }
}

/** Training throughput (img/s) over one pass of the prepared batches, median of `runs` passes. */
function trainThroughput(
  model: Module,
  batches: Array<{ x: tf.Tensor; y: tf.Tensor }>,
  runs: number,
  warmSteps: number,
): number {
  const vars = model.namedParameters().map(([, v]) => v);
  const opt = tf.train.momentum(0.01, 0.9);
  const step = (b: { x: tf.Tensor; y: tf.Tensor }): void => {
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(b.y, model.apply(b.x, { training: true })) as tf.Scalar,
      true,
      vars,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  for (let i = 0; i < warmSteps; i++) step(batches[i % batches.length] as { x: tf.Tensor; y: tf.Tensor });
  const images = batches.reduce((a, b) => a + (b.x.shape[0] as number), 0);
  const times: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    for (const b of batches) step(b);
    const dt = performance.now() - t0;
    if (r > 0) times.push(dt); // the first pass is the warm-up pass
  }
  opt.dispose();
  return images / (median(times) / 1000);
}

/** Inference latency (ms) of one batch, median of `runs` after warm-up. */
function inferLatency(model: Module, x: tf.Tensor, runs: number): number {
  const once = (): void => {
    const y = model.apply(x);
    y.dataSync();
    y.dispose();
  };
  const warmEnd = performance.now() + 250;
  let w = 0;
  while (w < 3 || (performance.now() < warmEnd && w < 20)) {
    once();
    w++;
  }
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function fmt(v: number, unit: string): string {
  return unit === 'ms' ? v.toFixed(2) : Math.round(v).toLocaleString('en-US');
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  await tf.setBackend('wasm');
  await tf.ready();
  console.error(`tfjs ${tf.version_core}, backend ${tf.getBackend()}${quick ? ', --quick' : ''}`);
  if (args.includes('--onnx-only')) {
    console.log(await onnxBench(quick));
    return;
  }
  const rows: Row[] = [];

  // ---- LeNet training on the first 10,000 MNIST images, batch 64 ----
  const torchLenet = torchReference('lenet', quick);
  const count = quick ? 2048 : 10_000;
  const data = loadMnistTrain(count);
  console.error(`MNIST: ${data.labels.length} images from ${data.source}`);
  const mk = (shape: (n: number) => number[]): Array<{ x: tf.Tensor; y: tf.Tensor }> => {
    const out: Array<{ x: tf.Tensor; y: tf.Tensor }> = [];
    for (let i = 0; i < data.labels.length; i += 64) {
      const n = Math.min(64, data.labels.length - i);
      out.push({
        x: tf.tensor(data.images.subarray(i * 784, (i + n) * 784), shape(n)),
        y: tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels.subarray(i, i + n), 'int32'), 10)),
      });
    }
    return out;
  };
  const imgBatches = mk((n) => [n, 28, 28, 1]);
  const flatBatches = mk((n) => [n, 784]);
  const runs = quick ? 1 : 5;
  const warm = quick ? 10 : 30;
  const lenetCases: Array<[string, () => Module, Array<{ x: tf.Tensor; y: tf.Tensor }>]> = [
    ['lenet5_train_b64', () => lenet5(), imgBatches],
    ['lenet5_tucker2_train_b64', () => lenet5({ tucker2: true }), imgBatches],
    ['lenet300100_train_b64', () => lenet300100(), flatBatches],
  ];
  for (const [name, build, batches] of lenetCases) {
    const m = build();
    const v = trainThroughput(m, batches, runs, warm);
    m.dispose();
    rows.push({ case: name, unit: 'img/s', tnzip: v, torch: torchLenet.get(name)?.value ?? null });
    console.error(`${name}: ${fmt(v, 'img/s')} img/s`);
  }
  tf.dispose([...imgBatches, ...flatBatches].flatMap((b) => [b.x, b.y]));

  // ---- CIFAR ResNet-20 inference ----
  const torchResnet = torchReference('resnet', quick);
  for (const [variant, opts] of [
    ['dense', {}],
    ['tucker2_half', { tucker2Half: true }],
  ] as const) {
    const m = cifarResNet(20, opts);
    for (const b of [1, 64]) {
      const x = tf.randomNormal([b, 32, 32, 3], 0, 1, 'float32', 1);
      const ms = inferLatency(m, x, quick ? 5 : b === 1 ? 101 : 21);
      x.dispose();
      const name = `resnet20_${variant}_b${b}`;
      rows.push({ case: name, unit: 'ms', tnzip: ms, torch: torchResnet.get(name)?.value ?? null });
      console.error(`${name}: ${ms.toFixed(2)} ms`);
    }
    m.dispose();
  }

  // ---- report ----
  console.log('| case | unit | tnzip (wasm) | PyTorch 1 thread | ratio (≥ 1.0: tnzip at least as fast) |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows) {
    const ratio = r.torch === null ? null : r.unit === 'img/s' ? r.tnzip / r.torch : r.torch / r.tnzip;
    console.log(
      `| ${r.case} | ${r.unit} | ${fmt(r.tnzip, r.unit)} | ${r.torch === null ? 'n/a' : fmt(r.torch, r.unit)} | ${ratio === null ? 'n/a' : ratio.toFixed(2)} |`,
    );
  }
  const get = (c: string): Row | undefined => rows.find((r) => r.case === c);
  const speedups: Array<[string, string, string, number]> = [
    ['LeNet-5 training, conv2 Tucker-2 (10/20)', 'lenet5_train_b64', 'lenet5_tucker2_train_b64', 2_293_000 / 1_105_800],
    ['ResNet-20 inference b1, Tucker-2 half', 'resnet20_dense_b1', 'resnet20_tucker2_half_b1', 40_551_040 / 15_188_608],
    [
      'ResNet-20 inference b64, Tucker-2 half',
      'resnet20_dense_b64',
      'resnet20_tucker2_half_b64',
      40_551_040 / 15_188_608,
    ],
  ];
  console.log('');
  console.log('| Tucker-2 speed-up | MACs reduction | tnzip realized | tnzip realized / MACs | PyTorch realized |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, dense, fact, macs] of speedups) {
    const d = get(dense);
    const f = get(fact);
    if (d === undefined || f === undefined) continue;
    const real = (a: number, b: number): number => (d.unit === 'ms' ? a / b : b / a);
    const t = real(d.tnzip, f.tnzip);
    const p = d.torch !== null && f.torch !== null ? real(d.torch, f.torch) : null;
    console.log(
      `| ${label} | ${macs.toFixed(2)}x | ${t.toFixed(2)}x | ${(t / macs).toFixed(2)} | ${p === null ? 'n/a' : `${p.toFixed(2)}x`} |`,
    );
  }

  // ---- ONNX Runtime as the speed peer (inference) ----
  console.log('');
  console.log(await onnxBench(quick));
}
