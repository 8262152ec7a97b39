import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { mnist, type Split, selectExamples } from '@tnzip/data';
import { Flatten, Linear, ReLU, Sequential } from '@tnzip/layers';
import { isTnzipError, type TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listCheckpoints, readCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import type { TrainContext, TrainHook } from './hooks.js';
import type { MetricsRecord } from './metrics.js';
import { train } from './train.js';

const ds = mnist();
const first = (s: Split, n: number): Split =>
  selectExamples(
    s,
    Array.from({ length: n }, (_, i) => i),
  );
const TRAIN = first(ds.train, 256);
const TEST = first(ds.test, 128);
const VAL = selectExamples(
  ds.train,
  Array.from({ length: 64 }, (_, i) => 1000 + i),
);

function mlp(seed = 1): Sequential {
  return new Sequential('mlp', [
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 784, outFeatures: 24, seed }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 24, outFeatures: 10, seed: seed + 1 }),
  ]);
}

function param(m: Sequential, p: string): tf.Variable {
  return (m.namedParameters().find(([k]) => k === p) as [string, tf.Variable])[1];
}

async function rejection(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isTnzipError(e), String(e)).toBe(true);
  return e as TnzipError;
}

async function readLines(dir: string): Promise<MetricsRecord[]> {
  return (await fs.readFile(path.join(dir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsRecord);
}

describeBackends('train', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-train-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('learns: test accuracy rises well above chance in 3 epochs on 256 MNIST images', async () => {
    const m = mlp();
    const before = await evaluate(m, TEST, { normalize: ds.normalization });
    const r = await train(
      m,
      { train: TRAIN, test: TEST },
      { epochs: 3, batchSize: 32, lr: 0.05, normalize: ds.normalization, seed: 3 },
    );
    expect(before.top1).toBeLessThan(0.3);
    expect(r.final.testAcc).toBeGreaterThan(0.6);
    expect(r.history).toHaveLength(3);
    expect(r.history[2]?.trainLoss).toBeLessThan(r.history[0]?.trainLoss as number);
    m.dispose();
  });

  it('no tensor leak across an epoch: tf.memory().numTensors is constant from step to step and back at the end', async () => {
    const m = mlp();
    const counts: number[] = [];
    // warm-up: backends allocate a few tensors once, on the first use of some kernels
    await train(
      m,
      { train: first(TRAIN, 16), val: first(VAL, 16) },
      { epochs: 1, batchSize: 16, lr: 0.01, optimizer: { kind: 'adam' } },
    );
    const before = tf.memory().numTensors;
    await train(
      m,
      { train: TRAIN, val: VAL },
      {
        epochs: 1,
        batchSize: 16,
        lr: 0.01,
        optimizer: { kind: 'adam' },
        normalize: ds.normalization,
        onProgress: () => counts.push(tf.memory().numTensors),
      },
    );
    expect(counts.length).toBe(17);
    expect(new Set(counts.slice(1, 16)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('hooks run in order (async ones awaited) and extraLoss reaches the gradients exactly', async () => {
    const calls: string[] = [];
    const recorder: TrainHook = {
      name: 'recorder',
      onEpochStart: (c) => {
        calls.push(`start ${c.epoch}`);
      },
      extraLoss: (c) => {
        calls.push(`extra ${c.epoch}.${c.step}`);
        return tf.scalar(0);
      },
      afterStep: async (c) => {
        // Async, as BATUDE's is: the next step must wait for it, or 'extra' would come first.
        await new Promise((resolve) => setTimeout(resolve, 2));
        calls.push(`after ${c.epoch}.${c.step} g${c.globalStep}`);
      },
      onEpochEnd: (c) => {
        calls.push(`end ${c.epoch} ${c.metrics.type}`);
      },
    };
    await train(mlp(), { train: first(TRAIN, 64) }, { epochs: 2, batchSize: 32, lr: 0.01, hooks: [recorder] });
    expect(calls).toEqual([
      'start 0',
      'extra 0.0',
      'after 0.0 g1',
      'extra 0.1',
      'after 0.1 g2',
      'end 0 epoch',
      'start 1',
      'extra 1.0',
      'after 1.0 g3',
      'extra 1.1',
      'after 1.1 g4',
      'end 1 epoch',
    ]);

    // One plain SGD step on one batch; a hook adding c·Σ W_fc2 shifts exactly fc2.weight by −lr·c.
    const c = 0.5;
    const lr = 0.1;
    const linear: TrainHook = {
      name: 'linear',
      extraLoss: (ctx: TrainContext) => tf.mul(tf.sum(param(ctx.model as Sequential, 'fc2.weight')), c) as tf.Scalar,
    };
    const a = mlp();
    const b = mlp();
    const opts = { epochs: 1, batchSize: 64, lr, optimizer: { kind: 'sgd' as const } };
    await train(a, { train: first(TRAIN, 64) }, opts);
    await train(b, { train: first(TRAIN, 64) }, { ...opts, hooks: [linear] });
    for (const [p, va] of a.namedParameters()) {
      const da = va.dataSync();
      const db = param(b, p).dataSync();
      const shift = p === 'fc2.weight' ? -lr * c : 0;
      for (let i = 0; i < da.length; i++)
        expect(Math.abs((db[i] as number) - (da[i] as number) - shift)).toBeLessThan(1e-6);
    }
    a.dispose();
    b.dispose();
  });

  it('distillation from an identical teacher with alpha 1 has zero loss and leaves the weights unchanged', async () => {
    const student = mlp(5);
    const teacher = mlp(5);
    const w0 = Array.from(param(student, 'fc1.weight').dataSync());
    const r = await train(
      student,
      { train: first(TRAIN, 32) },
      { epochs: 1, batchSize: 32, lr: 0.1, optimizer: { kind: 'sgd' }, distill: { teacher, temperature: 3, alpha: 1 } },
    );
    expect(Math.abs(r.final.trainLoss)).toBeLessThan(1e-5);
    // the KL gradient at identical logits is p_s − p_t·Σp_t: zero up to float32 rounding
    const w1 = param(student, 'fc1.weight').dataSync();
    expect(Math.max(...w0.map((v, i) => Math.abs((w1[i] as number) - v)))).toBeLessThan(1e-7);
    // with alpha 0.5 the loss is half the cross-entropy (KL still 0 at the first step)
    const s2 = mlp(5);
    const ce = await train(
      mlp(5),
      { train: first(TRAIN, 32) },
      { epochs: 1, batchSize: 32, lr: 0.1, labelSmoothing: 0.1 },
    );
    const half = await train(
      s2,
      { train: first(TRAIN, 32) },
      { epochs: 1, batchSize: 32, lr: 0.1, labelSmoothing: 0.1, distill: { teacher, alpha: 0.5 } },
    );
    expect(half.final.trainLoss).toBeCloseTo(ce.final.trainLoss / 2, 5);
    for (const m of [student, teacher, s2]) m.dispose();
  });

  it('writes metrics.jsonl (step and epoch lines) and keeps the newest checkpoints, all parseable, no temp files', async () => {
    const dir = path.join(root, `metrics-${tf.getBackend()}`);
    await fs.mkdir(path.join(dir, 'checkpoints'), { recursive: true });
    // a temp file left by a writer killed mid-write is cleaned up
    await fs.writeFile(path.join(dir, 'checkpoints', '.tmp-ckpt-000000003.tnzc-1-1'), 'partial');
    const seen: string[] = [];
    const parsed: Promise<unknown>[] = [];
    const r = await train(
      mlp(),
      { train: first(TRAIN, 128), val: VAL, test: TEST },
      {
        epochs: 2,
        batchSize: 32,
        lr: 0.05,
        normalize: ds.normalization,
        outDir: dir,
        logEvery: 2,
        checkpointEvery: 3,
        keepCheckpoints: 2,
        onCheckpoint: (info) => {
          seen.push(path.basename(info.file));
          // every checkpoint on disk decodes at every moment a new one lands
          parsed.push(
            listCheckpoints(path.join(dir, 'checkpoints')).then((fs_) =>
              Promise.all(fs_.map(async (f) => tf.dispose([...(await readCheckpoint(f)).tensors.values()]))),
            ),
          );
        },
      },
    );
    await Promise.all(parsed);
    expect(seen).toEqual(['ckpt-000000003.tnzc', 'ckpt-000000004.tnzc', 'ckpt-000000006.tnzc', 'ckpt-000000008.tnzc']);
    expect((await fs.readdir(path.join(dir, 'checkpoints'))).sort()).toEqual([
      'ckpt-000000006.tnzc',
      'ckpt-000000008.tnzc',
    ]);
    expect((await fs.readdir(dir)).sort()).toEqual(['checkpoints', 'metrics.jsonl']);
    const lines = await readLines(dir);
    expect(lines.map((l) => `${l.type}:${l.globalStep}`)).toEqual([
      'step:2',
      'step:4',
      'epoch:4',
      'step:6',
      'step:8',
      'epoch:8',
    ]);
    for (const l of lines) {
      if (l.type === 'step') {
        expect(Object.keys(l).sort()).toEqual([
          'accuracy',
          'epoch',
          'globalStep',
          'imgPerSec',
          'loss',
          'lr',
          'step',
          'type',
        ]);
        expect(l.loss).toBeGreaterThan(0);
        expect(l.imgPerSec).toBeGreaterThan(0);
      } else if (l.type === 'epoch') {
        for (const k of ['trainAcc', 'valAcc', 'valTop5', 'testAcc', 'testTop5'] as const) {
          expect(l[k]).toBeGreaterThanOrEqual(0);
          expect(l[k]).toBeLessThanOrEqual(1);
        }
        expect(l.testTop5).toBeGreaterThanOrEqual(l.testAcc as number);
        expect(l.lr).toBe(0.05);
      }
    }
    expect(r.history).toEqual(lines.filter((l) => l.type === 'epoch'));
    const { state, tensors } = await readCheckpoint(r.checkpoint as string);
    expect([state.epoch, state.stepInEpoch, state.globalStep]).toEqual([2, 0, 8]);
    expect(state.metrics).toEqual(lines);
    tf.dispose([...tensors.values()]);
    // resuming a finished run trains nothing and returns the same history; other options are refused
    const again = await train(
      mlp(),
      { train: first(TRAIN, 128), val: VAL, test: TEST },
      { epochs: 2, batchSize: 32, lr: 0.05, normalize: ds.normalization, outDir: dir, resume: true },
    );
    expect(again.history).toEqual(r.history);
    const e = await rejection(
      train(
        mlp(),
        { train: first(TRAIN, 128) },
        { epochs: 2, batchSize: 16, lr: 0.05, normalize: ds.normalization, outDir: dir, resume: true },
      ),
    );
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/batchSize \(32, now 16\)/);
  });

  it('NaN guard: a hook injecting NaN stops with NON_FINITE naming epoch and step; weights and the last checkpoint stay good', async () => {
    const dir = path.join(root, `nan-${tf.getBackend()}`);
    const m = mlp();
    let calls = 0;
    const poison: TrainHook = {
      name: 'poison',
      extraLoss: (c) => {
        calls += 1;
        return tf.scalar(c.globalStep === 5 ? Number.NaN : 0);
      },
      state: () => ({ steps: calls }),
    };
    const e = await rejection(
      train(
        m,
        { train: first(TRAIN, 128) },
        { epochs: 2, batchSize: 32, lr: 0.01, outDir: dir, checkpointEvery: 2, hooks: [poison] },
      ),
    );
    expect(e.code).toBe('NON_FINITE');
    expect(e.message).toMatch(/epoch 1, step 1 \(global step 5\)/);
    expect(e.message).toMatch(/ckpt-000000004\.tnzc/);
    for (const [, v] of m.namedParameters()) expect(Array.from(v.dataSync()).every(Number.isFinite)).toBe(true);
    const last = (await readLines(dir)).at(-1);
    expect(last?.type).toBe('error');
    const files = await listCheckpoints(path.join(dir, 'checkpoints'));
    expect(path.basename(files[0] as string)).toBe('ckpt-000000004.tnzc');
    const { tensors } = await readCheckpoint(files[0] as string);
    for (const t of tensors.values()) {
      expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
      t.dispose();
    }
    // resuming restarts from that checkpoint, handing each hook the state it saved there
    let steps = 0;
    const loaded: unknown[] = [];
    const counter: TrainHook = {
      name: 'poison',
      afterStep: () => {
        steps += 1;
      },
      state: () => ({ steps }),
      loadState: (st) => {
        loaded.push(st);
        steps = (st as { steps: number }).steps;
      },
    };
    const resumed = await train(
      m,
      { train: first(TRAIN, 128) },
      { epochs: 2, batchSize: 32, lr: 0.01, outDir: dir, checkpointEvery: 2, hooks: [counter], resume: true },
    );
    expect(path.basename(resumed.resumedFrom as string)).toBe('ckpt-000000004.tnzc');
    expect(loaded).toEqual([{ steps: 4 }]);
    expect(steps).toBe(8);
    expect(resumed.globalStep).toBe(8);
    // a huge learning rate diverges too
    const big = await rejection(
      train(mlp(), { train: first(TRAIN, 128) }, { epochs: 3, batchSize: 32, lr: 1e30, optimizer: { kind: 'sgd' } }),
    );
    expect(big.code).toBe('NON_FINITE');
    expect(big.message).toMatch(/at epoch \d+, step \d+/);
    m.dispose();
  });

  it('evaluate: top-1 agrees with argmax of the model, top-5 >= top-1; bad options are refused', async () => {
    const m = mlp();
    const r = await evaluate(m, TEST, { normalize: ds.normalization, batchSize: 50 });
    expect(r.count).toBe(128);
    const x = tf.tidy(() =>
      tf.div(tf.sub(tf.div(tf.tensor4d(Float32Array.from(TEST.images), [128, 28, 28, 1]), 255), 0.1307), 0.3081),
    );
    const pred = tf.tidy(() => tf.argMax(m.apply(x), 1));
    const p = pred.dataSync();
    let correct = 0;
    for (let i = 0; i < 128; i++) if (p[i] === TEST.labels[i]) correct++;
    expect(r.top1).toBe(correct / 128);
    expect(r.top5).toBeGreaterThanOrEqual(r.top1);
    expect(r.loss).toBeGreaterThan(0);
    tf.dispose([x, pred]);
    for (const bad of [{ epochs: 0 }, { batchSize: 0 }, { lr: -1 }, { labelSmoothing: 1 }, { seed: -1 }]) {
      const e = await rejection(train(m, { train: TRAIN }, { epochs: 1, batchSize: 8, lr: 0.1, ...bad }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(new RegExp(Object.keys(bad)[0] as string));
    }
    // an output directory that cannot be created (a regular file stands in its path); root ignores permissions
    const file = path.join(root, `a-file-${tf.getBackend()}`);
    await fs.writeFile(file, 'x');
    const io = await rejection(
      train(m, { train: TRAIN }, { epochs: 1, batchSize: 8, lr: 0.1, outDir: path.join(file, 'run') }),
    );
    expect(io.code).toBe('IO_ERROR');
    m.dispose();
  });
});
