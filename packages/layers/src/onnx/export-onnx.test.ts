import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import * as ort from 'onnxruntime-node';
import { beforeAll, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { registeredPlanKinds } from '../factorized/kind-registry.js';
import '../io/builtin-kinds.js';
import {
  artifactsOf,
  CNN_TRAIN_IMAGES,
  cnn,
  kitchenSink,
  mlp,
  mnistBatch,
  relErr,
  trainBriefly,
} from '../keras/fixtures.test-util.js';
import { importLayersModel } from '../keras/import-model.js';
import { ACTIVATION_FUNCTIONS, Activation } from '../layers/activation.js';
import { AvgPool } from '../layers/avg-pool.js';
import { BatchNorm } from '../layers/batch-norm.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { MaxPool } from '../layers/max-pool.js';
import { Reshape } from '../layers/reshape.js';
import { Sequential } from '../layers/sequential.js';
import type { Module, Shape } from '../module.js';
import type { FactorizationPlan, LayerPlan } from '../plan.js';
import { cifarResNet, lenet5 } from '../testing-models.js';
import { exportOnnxModel, formatOnnxExportReport, type OnnxExportReport } from './export-onnx.js';
import { ONNX_MODEL_FILE, writeOnnxFile } from './node-file.js';

type Fixture = 'cnn' | 'mlp';
let fixtures: Promise<Record<Fixture, tf.io.ModelArtifacts>> | null = null;
function getFixtures(): Promise<Record<Fixture, tf.io.ModelArtifacts>> {
  fixtures ??= (async () => {
    const a = cnn();
    const b = mlp();
    await trainBriefly(a, CNN_TRAIN_IMAGES);
    await trainBriefly(b, 256);
    const out = { cnn: await artifactsOf(a), mlp: await artifactsOf(b) };
    a.dispose();
    b.dispose();
    return out;
  })();
  return fixtures;
}

/** Runs the ONNX bytes in onnxruntime-node (CPU) on `x` (NHWC, as tnzip reads it). */
async function runOrt(bytes: Uint8Array, x: tf.Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const input = new ort.Tensor('float32', (await x.data()) as Float32Array, x.shape);
    const out = await session.run({ [session.inputNames[0] as string]: input });
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Relative error between tnzip's output and onnxruntime-node's on the export of `model`. */
async function compare(
  model: Module,
  x: tf.Tensor,
  options: { inputShape?: Shape; outputActivation?: 'none' | 'softmax' } = { outputActivation: 'none' },
): Promise<{ err: number; report: OnnxExportReport }> {
  const { bytes, report } = await exportOnnxModel(model, options);
  const ours = tf.tidy(() => {
    const y = model.apply(x);
    return options.outputActivation === 'softmax' ? tf.softmax(y) : y;
  });
  const theirs = await runOrt(bytes, x);
  const err = relErr(theirs, await ours.data());
  expect(theirs.length).toBe(ours.size);
  ours.dispose();
  return { err, report };
}

/**
 * One compressed fixture per registered plan kind: a kind registered without an entry here fails
 * the coverage test below, so a new kind cannot skip the ONNX check.
 */
const PLANS: Record<string, ReadonlyArray<{ fixture: Fixture; plan: FactorizationPlan }>> = {
  dense: [{ fixture: 'cnn', plan: { conv2: { kind: 'dense' } } }],
  tucker2: [
    {
      fixture: 'cnn',
      plan: { conv2: { kind: 'tucker2', rankS: 4, rankT: 5 }, conv3: { kind: 'tucker2', rankS: null, rankT: 6 } },
    },
  ],
  tucker: [{ fixture: 'cnn', plan: { conv2: { kind: 'tucker', ranks: [3, 3, 4, 5] } } }],
  cp: [{ fixture: 'cnn', plan: { conv2: { kind: 'cp', rank: 6 }, conv3: { kind: 'cp', rank: 5 } } }],
  tt: [
    {
      fixture: 'cnn',
      plan: {
        conv3: { kind: 'tt', colDims: [2, 4], rowDims: [4, 4], ranks: [2, 4, 4, 3] },
        fc: { kind: 'tt', colDims: [4, 4], rowDims: [2, 5], ranks: [3] },
      },
    },
    {
      fixture: 'mlp',
      plan: {
        hidden: { kind: 'tt', colDims: [28, 28], rowDims: [4, 8], ranks: [6] },
        out: { kind: 'tt', colDims: [2, 4, 4], rowDims: [1, 2, 5], ranks: [2, 3] },
      },
    },
    { fixture: 'mlp', plan: { hidden: { kind: 'tt', rowDims: [1, 32], colDims: [784, 1], ranks: [8] } } },
  ],
  'ada-tucker': [{ fixture: 'cnn', plan: { conv3: { kind: 'ada-tucker', dims: [8, 9, 16], ranks: [4, 5, 8] } } }],
  'scada-tucker': [
    {
      fixture: 'cnn',
      plan: {
        conv2: { kind: 'scada-tucker', dims: [8, 9, 8], ranks: [4, 5, 4], group: 'g' },
        conv3: { kind: 'scada-tucker', dims: [8, 9, 16], ranks: [4, 5, 4], group: 'g' },
      },
    },
  ],
};

/**
 * Each kind on a single layer, compared at the layer's own output (no pooling to blur an edge
 * error): a stride-2 'same' conv 8→16 over 10×8 (asymmetric pads: none before, one after) and a
 * 16→10 linear.
 */
const LAYER_PLANS: Record<string, ReadonlyArray<{ layer: 'conv' | 'linear'; plan: LayerPlan }>> = {
  dense: [{ layer: 'conv', plan: { kind: 'dense' } }],
  tucker2: [
    { layer: 'conv', plan: { kind: 'tucker2', rankS: 4, rankT: 5 } },
    { layer: 'conv', plan: { kind: 'tucker2', rankS: null, rankT: 6 } },
  ],
  tucker: [{ layer: 'conv', plan: { kind: 'tucker', ranks: [3, 3, 4, 5] } }],
  cp: [{ layer: 'conv', plan: { kind: 'cp', rank: 6 } }],
  tt: [
    { layer: 'conv', plan: { kind: 'tt', colDims: [2, 4], rowDims: [4, 4], ranks: [2, 4, 4, 3] } },
    { layer: 'linear', plan: { kind: 'tt', colDims: [4, 4], rowDims: [2, 5], ranks: [3] } },
    { layer: 'linear', plan: { kind: 'tt', colDims: [2, 2, 4], rowDims: [1, 2, 5], ranks: [2, 3] } },
    { layer: 'linear', plan: { kind: 'tt', rowDims: [1, 10], colDims: [16, 1], ranks: [4] } },
  ],
  'ada-tucker': [{ layer: 'conv', plan: { kind: 'ada-tucker', dims: [8, 9, 16], ranks: [4, 5, 8] } }],
  'scada-tucker': [{ layer: 'conv', plan: { kind: 'scada-tucker', dims: [8, 9, 16], ranks: [4, 5, 8], group: 'g' } }],
};

describeBackends('every factorized kind, one layer', () => {
  for (const [kind, cases] of Object.entries(LAYER_PLANS))
    it(`${kind}: onnxruntime-node computes the layer's output (relative error < 1e-4)`, async () => {
      for (const { layer, plan } of cases) {
        const dense =
          layer === 'conv'
            ? new Conv2d('layer', {
                inChannels: 8,
                outChannels: 16,
                kernelSize: 3,
                stride: 2,
                padding: 'same',
                seed: 3,
              })
            : new Linear('layer', { inFeatures: 16, outFeatures: 10, seed: 4 });
        const net = new Sequential('net', [dense]);
        factorize(net, { layer: plan });
        const shape = layer === 'conv' ? [10, 8, 8] : [16];
        const x = tf.randomNormal([3, ...shape], 0, 1, 'float32', 9);
        const { err, report } = await compare(net, x, { inputShape: shape, outputActivation: 'none' });
        expect(err, `${kind} ${JSON.stringify(plan)}`).toBeLessThan(1e-4);
        expect(report.layers[0]?.form).toBe(
          kind === 'dense' ? 'dense' : kind.endsWith('ada-tucker') ? 'reconstructed' : 'factorized',
        );
        x.dispose();
        net.dispose();
      }
    });
});

it('every registered factorized kind has an ONNX check below', () => {
  const kinds = registeredPlanKinds();
  expect(kinds.length).toBeGreaterThanOrEqual(7);
  for (const k of kinds) {
    expect(Object.keys(PLANS), `plan kind '${k}' has no ONNX fixture plan`).toContain(k);
    expect(Object.keys(LAYER_PLANS), `plan kind '${k}' has no ONNX layer plan`).toContain(k);
  }
});

describeBackends('exportOnnxModel vs onnxruntime-node', () => {
  let fx: Record<Fixture, tf.io.ModelArtifacts>;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    fx = await getFixtures();
    const b = mnistBatch(16);
    x = b.x;
    b.y.dispose();
  }, 240_000);

  for (const [kind, cases] of Object.entries(PLANS))
    it(`${kind}: the compressed fixture's ONNX export computes tnzip's output (relative error < 1e-4)`, async () => {
      for (const { fixture, plan } of cases) {
        const { model } = await importLayersModel(fx[fixture]);
        factorize(model, plan);
        const { err, report } = await compare(model, x);
        expect(err, `${kind} on ${fixture}`).toBeLessThan(1e-4);
        const text = formatOnnxExportReport(report);
        if (kind === 'ada-tucker' || kind === 'scada-tucker')
          expect(text).toMatch(/conv3 \(ada-tucker\): no ONNX op chain, written as its dense weight \(Conv\)/);
        if (kind === 'tucker2') expect(text).toMatch(/conv2 \(tucker2-conv2d\): factorized as Conv → Conv → Conv/);
        if (kind === 'cp')
          expect(report.layers.find((l) => l.path === 'conv2')?.ops).toEqual(['Conv', 'Conv', 'Conv', 'Conv']);
        if (
          kind === 'tt' &&
          fixture === 'mlp' &&
          'hidden' in plan &&
          plan.hidden?.kind === 'tt' &&
          plan.hidden.ranks.length === 1 &&
          plan.hidden.rowDims[0] === 1
        )
          expect(report.layers.find((l) => l.path === 'hidden')?.ops).toEqual(['Gemm', 'Gemm']);
        if (kind !== 'dense') expect(report.layers.some((l) => l.form !== 'dense')).toBe(true);
        model.dispose();
      }
    }, 60_000);

  it('the imported LayersModel fixtures (CNN, MLP, every supported Keras layer) export exactly, softmax appended', async () => {
    for (const artifacts of [fx.cnn, fx.mlp]) {
      const { model } = await importLayersModel(artifacts);
      expect((await compare(model, x, { outputActivation: 'softmax' })).err).toBeLessThan(1e-4);
      expect((await compare(model, x)).err).toBeLessThan(1e-4);
      model.dispose();
    }
    const sink = kitchenSink();
    const { model } = await importLayersModel(await artifactsOf(sink));
    sink.dispose();
    const input = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 7);
    expect((await compare(model, input)).err).toBeLessThan(1e-4);
    input.dispose();
    model.dispose();
  }, 60_000);

  it('a Sequential ResNet (Residual blocks, channel-pad shortcuts, explicit pads) and LeNet-5 (pooling, Flatten) export exactly', async () => {
    const net = cifarResNet(8);
    const input = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    expect((await compare(net, input, { inputShape: [32, 32, 3] })).err).toBeLessThan(1e-4);
    const lenet = lenet5({ tucker2: true });
    expect((await compare(lenet, x, { inputShape: [28, 28, 1] })).err).toBeLessThan(1e-4);
    tf.dispose(input);
    net.dispose();
    lenet.dispose();
  }, 60_000);

  it('exporting leaks no tensor', async () => {
    const { model } = await importLayersModel(fx.cnn);
    factorize(model, { conv2: { kind: 'cp', rank: 4 } });
    await expectNoLeakAsync(async () => {
      await exportOnnxModel(model);
    });
    model.dispose();
  });
});

describeBackends('activations and pooling', () => {
  it('every activation function, on images (softmax over channels) and on vectors, matches (< 1e-4)', async () => {
    for (const fn of ACTIVATION_FUNCTIONS)
      for (const image of [true, false]) {
        const net = new Sequential(
          'net',
          image
            ? [new Conv2d('c', { inChannels: 3, outChannels: 4, kernelSize: 3, seed: 1 }), new Activation('act', fn)]
            : [new Linear('l', { inFeatures: 6, outFeatures: 5, seed: 1 }), new Activation('act', fn)],
        );
        const shape = image ? [6, 5, 3] : [6];
        const x = tf.randomNormal([2, ...shape], 0, 2, 'float32', 4);
        expect(
          (await compare(net, x, { inputShape: shape, outputActivation: 'none' })).err,
          `${fn} image=${image}`,
        ).toBeLessThan(1e-4);
        x.dispose();
        net.dispose();
      }
  });

  it("max / average pooling with 'same' and explicit uneven pads (padded cells not averaged) match (< 1e-4)", async () => {
    const padding = [
      [1, 0],
      [0, 1],
    ] as const;
    for (const pool of [
      new MaxPool('p', { kernelSize: 3, stride: 2, padding: 'same' }),
      new AvgPool('p', { kernelSize: 3, stride: 2, padding: 'same' }),
      new MaxPool('p', { kernelSize: [3, 2], stride: [2, 1], padding }),
      new AvgPool('p', { kernelSize: [3, 2], stride: [2, 1], padding }),
    ]) {
      const net = new Sequential('net', [pool]);
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 5);
      expect((await compare(net, x, { inputShape: [7, 6, 3], outputActivation: 'none' })).err, pool.kind).toBeLessThan(
        1e-4,
      );
      x.dispose();
      net.dispose();
    }
    const wide = new Sequential('net', [
      new AvgPool('wide', {
        kernelSize: 2,
        padding: [
          [0, 0],
          [0, 2],
        ],
      }),
    ]);
    await expect(exportOnnxModel(wide, { inputShape: [4, 4, 1] })).rejects.toThrow(
      /^export: layer 'wide' \(avg-pool\) pads \[0,0,0,2\] a 2×2 window by as much as the window/,
    );
    wide.dispose();
  });
});

describeBackends('ONNX export errors and files', () => {
  const noForm = (): Sequential =>
    new Sequential('net', [
      new Flatten('flat'),
      new Reshape('rows', [28, 28]),
      new BatchNorm('rowNorm', { numFeatures: 28 }),
    ]);

  it('a layer with no ONNX form → one INVALID_ARGUMENT line naming it, no tensor leaked', async () => {
    const net = noForm();
    await expectNoLeakAsync(async () => {
      const e = await exportOnnxModel(net, { inputShape: [28, 28, 1] }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(TnzipError);
      expect((e as TnzipError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(
        /^export: layer 'rowNorm' \(batch-norm\) normalizes a rank-2 input.*no ONNX form$/,
      );
      expect((e as Error).message).not.toContain('\n');
    });
    net.dispose();
  });

  it('a missing input shape is rejected before any node is written', async () => {
    const net = noForm();
    await expect(exportOnnxModel(net)).rejects.toThrow(/exportOnnx: inputShape must be given/);
    net.dispose();
  });

  it('writeOnnxFile writes model.onnx atomically (no temporary file left), readable by onnxruntime-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnzip-onnx-'));
    try {
      const net = lenet5();
      const { bytes } = await exportOnnxModel(net, { inputShape: [28, 28, 1] });
      net.dispose();
      const path = await writeOnnxFile(join(dir, 'out'), bytes);
      expect(readdirSync(join(dir, 'out'))).toEqual([ONNX_MODEL_FILE]);
      const session = await ort.InferenceSession.create(readFileSync(path));
      expect(session.inputNames).toHaveLength(1);
      await session.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('the ONNX builder and exporters have no Node-only imports (bundled for browsers)', () => {
  const dir = new URL('.', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.includes('.test') && f !== 'node-file.ts');
  expect(files.length).toBeGreaterThanOrEqual(8);
  for (const f of files) expect(readFileSync(new URL(f, dir), 'utf8'), f).not.toMatch(/from '(node:|fs|path)|node-fs/);
});
