import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { exportLayersModel, load } from '@tnzip/layers';

/**
 * A tfjs IOHandler that reads a LayersModel from `dir` in Node: `model.json` and every shard its
 * manifest names, relative to it — what `tf.io.browserFiles` / `tf.io.http` do in a browser. The
 * stock file handler is in @tensorflow/tfjs-node, which the repo does not install.
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      const groups = json.weightsManifest;
      const shards = await Promise.all(
        groups.flatMap((g) => g.paths.map(async (p) => new Uint8Array(await readFile(join(dir, p))).buffer)),
      );
      return {
        modelTopology: json.modelTopology,
        weightSpecs: groups.flatMap((g) => g.weights),
        weightData: tf.io.CompositeArrayBuffer.join(shards),
        format: json.format,
      };
    },
  };
}

/**
 * The test's LayersModel fixture: the demo's dense LeNet-5 (`public/models/dense`, tnzip format)
 * exported by `exportLayersModel` as stock Keras layers with a final softmax, written as
 * `model.json` and its weights cut into two shards (as tfjs cuts large models), into `dir`.
 * Returns the paths to give a file input.
 */
export async function writeLenetFixture(publicDir: string, dir: string): Promise<string[]> {
  const { model } = await load(join(publicDir, 'models', 'dense'));
  try {
    const { artifacts } = await exportLayersModel(model, {
      inputShape: [28, 28, 1],
      outputActivation: 'softmax',
      name: 'lenet5',
    });
    const all = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
    const cut = 4 * Math.floor(all.length / 8);
    const names = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, names[0] as string), all.subarray(0, cut));
    await writeFile(join(dir, names[1] as string), all.subarray(cut));
    const json = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      generatedBy: 'tnzip demo e2e',
      convertedBy: null,
      weightsManifest: [{ paths: names, weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    return [join(dir, 'model.json'), ...names.map((n) => join(dir, n))];
  } finally {
    model.dispose();
  }
}
