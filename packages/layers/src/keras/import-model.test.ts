import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isTnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { beforeAll, expect, it } from 'vitest';
import { Graph } from '../layers/graph.js';
import { createModule } from '../registry.js';
import {
  artifactsOf,
  CNN_TRAIN_IMAGES,
  cnn,
  kitchenSink,
  mlp,
  mnistBatch,
  relErr,
  shard,
  trainBriefly,
} from './fixtures.test-util.js';
import { importLayersModel } from './import-model.js';
import { quantizeWeights } from './quantize.js';

interface Fixtures {
  readonly mlp: tf.io.ModelArtifacts;
  readonly cnn: tf.io.ModelArtifacts;
  readonly sink: tf.io.ModelArtifacts;
}

let fixtures: Promise<Fixtures> | null = null;
/** Built and trained once (on the first backend), then loaded from memory on each backend. */
function getFixtures(): Promise<Fixtures> {
  fixtures ??= (async () => {
    const a = mlp();
    const b = cnn();
    await trainBriefly(a, 1024);
    await trainBriefly(b, CNN_TRAIN_IMAGES);
    const out = { mlp: await artifactsOf(a), cnn: await artifactsOf(b), sink: await artifactsOf(kitchenSink()) };
    a.dispose();
    b.dispose();
    return out;
  })();
  return fixtures;
}

/** tnzip forward (+ the kept softmax) and tfjs-layers predict on `x`. */
async function compare(art: tf.io.ModelArtifacts, x: tf.Tensor): Promise<number> {
  const ref = await tfl.loadLayersModel(tf.io.fromMemory(art));
  const { model, outputActivation } = await importLayersModel(art);
  const ours = tf.tidy(() => {
    const y = model.apply(x);
    return outputActivation === 'softmax' ? tf.softmax(y) : y;
  });
  const theirs = ref.predict(x) as tf.Tensor;
  const err = relErr(await ours.data(), await theirs.data());
  tf.dispose([ours, theirs]);
  ref.dispose();
  model.dispose();
  return err;
}

describeBackends('importLayersModel', () => {
  let fx: Fixtures;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    fx = await getFixtures();
    const b = mnistBatch(64);
    x = b.x;
    b.y.dispose();
  }, 240_000);

  it('a Sequential MLP trained on MNIST predicts what tfjs-layers predicts (rel. error < 1e-5)', async () => {
    expect(await compare(fx.mlp, x)).toBeLessThan(1e-5);
  });

  it('a functional CNN (BN, residual Add, pooling, dropout, softmax) predicts what tfjs-layers predicts', async () => {
    expect(await compare(fx.cnn, x)).toBeLessThan(1e-5);
  });

  it('depthwise conv, zero padding, concatenate, reshape, relu6, dilation match tfjs-layers', async () => {
    const input = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 7);
    expect(await compare(fx.sink, input)).toBeLessThan(1e-5);
    input.dispose();
  });

  it('keeps layer names, strips the final softmax into outputActivation, and leaks no tensor', async () => {
    await expectNoLeakAsync(async () => {
      const { model, inputShape, outputActivation } = await importLayersModel(fx.cnn);
      expect(inputShape).toEqual([28, 28, 1]);
      expect(outputActivation).toBe('softmax');
      const paths = model.namedModules().map(([p]) => p);
      for (const n of [
        'conv1',
        'bn1',
        'relu1',
        'conv2',
        'residual',
        'relu2',
        'pool1',
        'conv3',
        'conv3_relu',
        'gap',
        'drop',
        'fc',
      ])
        expect(paths).toContain(n);
      expect(paths).not.toContain('fc_softmax');
      expect(model.cost([28, 28, 1]).outputShape).toEqual([10]);
      model.dispose();
    });
  });

  it('the imported Graph saves as a tnzip config and rebuilds from it', async () => {
    const { model } = await importLayersModel(fx.cnn);
    const again = createModule(model.config());
    expect(again).toBeInstanceOf(Graph);
    expect(again.config()).toEqual(model.config());
    model.dispose();
    again.dispose();
  });

  it('reads weights cut into several shards', async () => {
    expect(await compare(shard(fx.cnn, 3), x)).toBeLessThan(1e-5);
  });

  for (const q of ['uint8', 'uint16', 'float16'] as const) {
    it(`reads ${q}-quantized weights as tfjs dequantizes them`, async () => {
      const { specs, data } = quantizeWeights(fx.cnn.weightSpecs ?? [], fx.cnn.weightData, q);
      expect(specs.every((s) => s.quantization?.dtype === q)).toBe(true);
      expect(await compare({ ...fx.cnn, weightSpecs: specs, weightData: data }, x)).toBeLessThan(1e-5);
    });
  }

  it('an unsupported layer is a TnzipError naming the layer, its class and the supported list', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ units: 4, inputShape: [3], name: 'd' }));
    m.add(tfl.layers.leakyReLU({ name: 'leaky' }));
    const art = await artifactsOf(m);
    m.dispose();
    const e = await importLayersModel(art).catch((err: unknown) => err);
    expect(isTnzipError(e)).toBe(true);
    expect((e as Error).message).toMatch(/layer 'leaky' \(LeakyReLU\).*supported layers: InputLayer, Conv2D/);
  });

  it('an unsupported option is refused by name', async () => {
    const topo = JSON.parse(JSON.stringify(fx.sink.modelTopology)) as {
      config: { layers: Array<{ name: string; config: Record<string, unknown> }> };
    };
    const pw = topo.config.layers.find((l) => l.name === 'pw');
    if (pw !== undefined) pw.config.data_format = 'channels_first';
    const e = await importLayersModel({ ...fx.sink, modelTopology: topo }).catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/layer 'pw' \(Conv2D\): option data_format="channels_first" is not supported/);
  });

  it('a truncated shard, a missing weight or an extra weight is CORRUPT_FILE, leaking nothing', async () => {
    await expectNoLeakAsync(async () => {
      const all = tf.io.CompositeArrayBuffer.join(fx.cnn.weightData as tf.io.WeightData);
      const truncated = { ...fx.cnn, weightData: all.slice(0, all.byteLength - 8) };
      await expect(importLayersModel(truncated)).rejects.toMatchObject({
        code: 'CORRUPT_FILE',
        message: /shards hold/,
      });
      const renamed = (fx.cnn.weightSpecs ?? []).map((s) =>
        s.name === 'conv2/bias' ? { ...s, name: 'conv9/bias' } : s,
      );
      await expect(importLayersModel({ ...fx.cnn, weightSpecs: renamed })).rejects.toMatchObject({
        code: 'CORRUPT_FILE',
        message: /no 'conv2\/bias'/,
      });
    });
  });
});
