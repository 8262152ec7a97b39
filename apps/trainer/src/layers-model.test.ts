import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batches, MNIST_NORMALIZATION, mnist } from '@tnzip/data';
import { readLayersModelFiles, writeLayersModelFiles } from '@tnzip/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, snapshot } from './cli.test-util.js';

let root: string;
/** Models whose shard never ends or is huge: outside `root`, which the tests snapshot byte for byte. */
let hostileRoot: string;
const TEST = 300;

async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved as unknown as tf.io.ModelArtifacts;
}

/** Top-1 accuracy stock tfjs-layers gives on the first `TEST` MNIST test images, MNIST-normalized. */
async function stockAccuracy(dir: string): Promise<number> {
  const stock = await tfl.loadLayersModel(tf.io.fromMemory(await readLayersModelFiles(dir)));
  const ds = mnist();
  const split = { ...ds.test, count: TEST };
  let right = 0;
  for (const b of batches(split, { batchSize: TEST, shuffle: false, normalize: MNIST_NORMALIZATION })) {
    const pred = tf.tidy(() => tf.argMax(stock.predict(b.x) as tf.Tensor, 1));
    const p = await pred.data();
    const y = await b.y.data();
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) right++;
    tf.dispose([pred, b.x, b.y]);
  }
  stock.dispose();
  return right / TEST;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-layers-model-'));
  hostileRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-layers-model-hostile-'));
  // A user's model: a Keras-style MLP trained briefly on MNIST with tfjs-layers, saved as model.json + shard.
  const m = tfl.sequential({ name: 'user_mlp' });
  m.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }));
  m.add(
    tfl.layers.dense({
      units: 32,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(
    tfl.layers.dense({
      units: 10,
      activation: 'softmax',
      name: 'out',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  const ds = mnist();
  const [b] = [
    ...batches({ ...ds.train, count: 1024 }, { batchSize: 1024, shuffle: false, normalize: MNIST_NORMALIZATION }),
  ];
  if (b === undefined) throw new Error('no MNIST batch');
  m.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  const y = tf.oneHot(b.y as tf.Tensor1D, 10);
  await m.fit(b.x, y, { epochs: 3, batchSize: 64, shuffle: false, verbose: 0 }); // unshuffled: tfjs-layers shuffles with Math.random
  tf.dispose([b.x, b.y, y]);
  await writeLayersModelFiles(path.join(root, 'mlp'), await artifactsOf(m));
  m.dispose();

  const bad = tfl.sequential();
  bad.add(tfl.layers.dense({ units: 4, inputShape: [784], name: 'd' }));
  bad.add(tfl.layers.leakyReLU({ name: 'leaky' }));
  await writeLayersModelFiles(path.join(root, 'unsupported'), await artifactsOf(bad));
  bad.dispose();

  for (const name of ['truncated', 'missing', 'device-shard', 'huge-shard']) {
    await fs.cp(path.join(root, 'mlp'), modelDir(name), { recursive: true });
  }
  const shard = path.join(root, 'truncated', 'group1-shard1of1.bin');
  const bytes = await fs.readFile(shard);
  await fs.writeFile(shard, bytes.subarray(0, bytes.length - 40));
  await fs.rm(path.join(root, 'missing', 'group1-shard1of1.bin'));
  // A shard that never ends (a device) and one far larger than the manifest (sparse: no disk used).
  await fs.rm(path.join(modelDir('device-shard'), 'group1-shard1of1.bin'));
  await fs.symlink('/dev/zero', path.join(modelDir('device-shard'), 'group1-shard1of1.bin'));
  await fs.truncate(path.join(modelDir('huge-shard'), 'group1-shard1of1.bin'), 2 ** 31);
}, 120_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(hostileRoot, { recursive: true, force: true });
});

/** The directory of test model `name`. */
function modelDir(name: string): string {
  return path.join(name.endsWith('-shard') ? hostileRoot : root, name);
}

describe('tnzip with a tfjs LayersModel', () => {
  it('eval model.json --json gives the accuracy stock tfjs gives', async () => {
    const r = await runInProcess([
      'eval',
      path.join(root, 'mlp', 'model.json'),
      '--json',
      '--limit-test',
      String(TEST),
      '--backend',
      'cpu',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { testAcc: number; format: string; params: number };
    expect(res.format).toBe('tfjs-layers');
    expect(res.params).toBe(784 * 32 + 32 + 32 * 10 + 10);
    const stock = await stockAccuracy(path.join(root, 'mlp'));
    expect(stock).toBeGreaterThan(0.7);
    expect(res.testAcc).toBe(stock);
  });

  it('summary of a LayersModel directory lists its layers by their Keras names', async () => {
    const r = await runInProcess(['summary', path.join(root, 'mlp'), '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/hidden\s+linear/);
    expect(r.stdout).toMatch(/final softmax kept for export/);
  });

  it('export writes a LayersModel that stock tfjs loads, with the same accuracy', async () => {
    const out = path.join(root, 'exported');
    const r = await runInProcess([
      'export',
      path.join(root, 'mlp'),
      '--to',
      'tfjs-layers',
      '--out',
      out,
      '--backend',
      'cpu',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(await stockAccuracy(out)).toBe(await stockAccuracy(path.join(root, 'mlp')));
  });

  it('compress --from model.json --method energy --budget 2x --export tfjs-layers: stock tfjs loads the export, same accuracy', async () => {
    const out = path.join(root, 'runs');
    const r = await runInProcess([
      'compress',
      '--from',
      path.join(root, 'mlp', 'model.json'),
      '--method',
      'energy',
      '--budget',
      '2x',
      '--export',
      'tfjs-layers',
      '--limit-train',
      '512',
      '--limit-test',
      String(TEST),
      '--finetune-epochs',
      '1',
      '--no-latency',
      '--backend',
      'cpu',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { runDir } = JSON.parse(r.stdout) as { runDir: string };
    const results = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as {
      dense: { testAcc: number; params: number };
      compressed: { testAcc: number; params: number };
    };
    expect(results.dense.testAcc).toBe(await stockAccuracy(path.join(root, 'mlp')));
    expect(results.compressed.params).toBeLessThan(results.dense.params);
    expect(results.compressed.testAcc).toBeGreaterThan(results.dense.testAcc - 0.05);
    const again = await runInProcess(['eval', runDir, '--json', '--limit-test', String(TEST), '--backend', 'cpu']);
    expect((JSON.parse(again.stdout) as { testAcc: number }).testAcc).toBe(results.compressed.testAcc);
    const exported = path.join(runDir, 'export', 'tfjs-layers');
    expect(await stockAccuracy(exported)).toBeCloseTo(results.compressed.testAcc, 2);
  }, 300_000);

  for (const [name, pattern] of [
    ['unsupported', /layer 'leaky' \(LeakyReLU\).*not supported/],
    ['truncated', /shards hold/],
    ['missing', /cannot read .*group1-shard1of1\.bin/],
    ['device-shard', /group1-shard1of1\.bin' resolves to '\/dev\/zero', outside the model directory/],
    ['huge-shard', /group1-shard1of1\.bin' has 2147483648 bytes, at most \d+ allowed/],
  ] as const) {
    it(`${name}: eval and export fail with one error line, exit 3, nothing written`, async () => {
      const before = await snapshot(root);
      const e = await runInProcess(['eval', modelDir(name), '--backend', 'cpu']);
      expect(e.code).toBe(3);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
      expect(e.stderr).toMatch(pattern);
      const x = await runInProcess([
        'export',
        modelDir(name),
        '--to',
        'tfjs-layers',
        '--out',
        path.join(root, `${name}-out`),
        '--backend',
        'cpu',
      ]);
      expect(x.code).toBe(3);
      expect(x.stderr).toMatch(pattern);
      expect(await snapshot(root)).toEqual(before);
    });
  }
});
