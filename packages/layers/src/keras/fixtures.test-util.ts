import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadMnistTrain } from '../../bench/mnist.js';

/** The model files of a tfjs-layers model, as `model.save` hands them to an IOHandler. */
export async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved as unknown as tf.io.ModelArtifacts;
}

/** A copy of `a` with its weights cut into `n` shards (as tfjs writes 4 MB shards). */
export function shard(a: tf.io.ModelArtifacts, n: number): tf.io.ModelArtifacts {
  const all = tf.io.CompositeArrayBuffer.join(a.weightData as tf.io.WeightData);
  const step = Math.ceil(all.byteLength / n);
  const parts: ArrayBuffer[] = [];
  for (let o = 0; o < all.byteLength; o += step) parts.push(all.slice(o, Math.min(all.byteLength, o + step)));
  return { ...a, weightData: parts };
}

/** `count` MNIST training images `[count, 28, 28, 1]` (normalized (x/255 − 0.1307)/0.3081) and one-hot labels. */
export function mnistBatch(count: number): { x: tf.Tensor4D; y: tf.Tensor2D; labels: Int32Array } {
  const { images, labels } = loadMnistTrain(count);
  return {
    x: tf.tensor4d(images, [labels.length, 28, 28, 1]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10) as tf.Tensor2D,
    labels,
  };
}

/** A Sequential MLP (Flatten → Dense relu → Dropout → Dense softmax). */
export function mlp(): tfl.LayersModel {
  const m = tfl.sequential({ name: 'mlp' });
  m.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }));
  m.add(
    tfl.layers.dense({
      units: 32,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tfl.layers.dropout({ rate: 0.2, name: 'drop' }));
  m.add(
    tfl.layers.dense({
      units: 10,
      activation: 'softmax',
      name: 'out',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  return m;
}

/** A functional CNN: conv → batch norm → relu → conv → residual Add → relu → max pool → conv stride 2 → avg pool → global avg pool → dropout → dense softmax. */
export function cnn(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.heNormal({ seed });
  const input = tfl.input({ shape: [28, 28, 1], name: 'image' });
  const c1 = tfl.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1', kernelInitializer: init(1) })
    .apply(input);
  const b1 = tfl.layers.batchNormalization({ name: 'bn1' }).apply(c1);
  const a1 = tfl.layers.activation({ activation: 'relu', name: 'relu1' }).apply(b1);
  const c2 = tfl.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv2', kernelInitializer: init(2) })
    .apply(a1);
  const s = tfl.layers.add({ name: 'residual' }).apply([a1, c2] as tfl.SymbolicTensor[]);
  const r = tfl.layers.reLU({ name: 'relu2' }).apply(s);
  const p1 = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(r);
  const c3 = tfl.layers
    .conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv3', kernelInitializer: init(3) })
    .apply(p1);
  const p2 = tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same', name: 'pool2' }).apply(c3);
  const g = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(p2);
  const d = tfl.layers.dropout({ rate: 0.25, name: 'drop' }).apply(g);
  const out = tfl.layers
    .dense({
      units: 10,
      activation: 'softmax',
      name: 'fc',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
    })
    .apply(d);
  return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor, name: 'cnn' });
}

/**
 * Every other supported layer (depthwise conv, zero padding, concatenate, reshape, a fused
 * activation, relu6, dilation, a bias-less conv), untrained, with random BN statistics.
 */
export function kitchenSink(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3], name: 'x' });
  const z = tfl.layers
    .zeroPadding2d({
      padding: [
        [1, 2],
        [0, 1],
      ],
      name: 'pad',
    })
    .apply(input);
  const dw = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, activation: 'relu6', name: 'dw' })
    .apply(z);
  const pw = tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'pw' }).apply(dw);
  const dl = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh', name: 'dil' })
    .apply(dw);
  const cat = tfl.layers.concatenate({ name: 'cat' }).apply([pw, dl] as tfl.SymbolicTensor[]);
  const bn = tfl.layers.batchNormalization({ name: 'bn', epsilon: 0.01 }).apply(cat);
  const rs = tfl.layers.reshape({ targetShape: [42, 8], name: 'rs' }).apply(bn);
  const fl = tfl.layers.flatten({ name: 'flat' }).apply(rs);
  const out = tfl.layers.dense({ units: 5, name: 'logits' }).apply(fl);
  const m = tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor, name: 'sink' });
  const bnLayer = m.getLayer('bn');
  const [gamma, beta, mean, variance] = bnLayer.getWeights();
  bnLayer.setWeights([
    tf.randomUniform(gamma?.shape ?? [], 0.5, 1.5, 'float32', 1),
    tf.randomNormal(beta?.shape ?? [], 0, 1, 'float32', 2),
    tf.randomNormal(mean?.shape ?? [], 0, 1, 'float32', 3),
    tf.randomUniform(variance?.shape ?? [], 0.5, 2, 'float32', 4),
  ]);
  return m;
}

/**
 * MNIST images the CNN fixture trains on: one Adam step of 64. tfjs's cpu backend takes about 0.1 s per
 * image of conv backprop here (28 s for 256 on a quiet 2-core machine, past a 240 s hook timeout when
 * CI loads both cores), and one step already moves every weight and batch-norm statistic off its init.
 */
export const CNN_TRAIN_IMAGES = 64;

/** Trains `model` for one epoch of Adam on the first `count` MNIST images (a realistic, non-random fixture). */
export async function trainBriefly(model: tfl.LayersModel, count: number): Promise<void> {
  // tfjs-backend-wasm has no conv backprop kernels: the fixtures train on cpu whatever backend the suite runs.
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const { x, y } = mnistBatch(count);
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  await tf.setBackend(previous);
}

/** Relative error ‖a − b‖ / ‖b‖ of two arrays of one length. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}
