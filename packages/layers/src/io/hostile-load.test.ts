import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeLayersModelFiles } from '../keras/node-files.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { ReLU } from '../layers/relu.js';
import { Sequential } from '../layers/sequential.js';
import { writeOnnxFile } from '../onnx/node-file.js';
import { load } from './load.js';
import { makeDirectory } from './make-directory.js';
import { save } from './save.js';

async function rejection(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  return e as TnzipError;
}

type Json = { architecture: { children: Array<Record<string, unknown>> } } & Record<string, unknown>;

describeBackends('load of hostile model files', () => {
  let root: string;
  let good: string;
  let json: Json;
  let bin: Buffer;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-hostile-'));
    good = path.join(root, 'good');
    const m = new Sequential('net', [
      new Flatten('flat'),
      new Linear('fc1', { inFeatures: 64, outFeatures: 8, seed: 1 }),
      new ReLU('r'),
      new Linear('fc2', { inFeatures: 8, outFeatures: 4, seed: 2 }),
    ]);
    await save(m, good, { inputShape: [8, 8] });
    m.dispose();
    json = JSON.parse(await fs.readFile(path.join(good, 'model.json'), 'utf8'));
    bin = await fs.readFile(path.join(good, 'weights.bin'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });
  const variant = async (name: string, j: unknown, b: Uint8Array = bin): Promise<string> => {
    const d = path.join(root, name);
    await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(d, 'model.json'), JSON.stringify(j));
    await fs.writeFile(path.join(d, 'weights.bin'), b);
    return d;
  };

  it('rejects an inflated layer size before allocating anything (a 1.7 KB edit cannot cost GBs)', async () => {
    // fc1.outFeatures 8 → 2,000,000 with the manifest left valid: building the layer would take
    // 64 × 2e6 floats (512 MB, random-filled); load must refuse from the config alone.
    const arch = structuredClone(json.architecture);
    (arch.children[1] as Record<string, unknown>).outFeatures = 2_000_000;
    const dir = await variant('inflated', { ...json, architecture: arch });
    const rssBefore = process.resourceUsage().maxRSS;
    const bytesBefore = tf.memory().numBytes;
    const t0 = performance.now();
    const e = await rejection(load(dir));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/model\.json: weight 'fc1\.weight' has shape \[64, 8\] in the manifest.*\[64, 2000000\]/);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    // Peak resident memory grew by less than 32 MiB (maxRSS is in KiB).
    expect(process.resourceUsage().maxRSS - rssBefore).toBeLessThan(32 * 1024);
  });

  it('holds exactly weights.bin in tensors after loading a valid file (no init tensors left)', async () => {
    const before = tf.memory().numBytes;
    const { model } = await load(good);
    expect(tf.memory().numBytes - before).toBe(bin.length);
    model.dispose();
  });

  it('rejects negative sizes and duplicate layer names as CORRUPT_FILE naming model.json', async () => {
    const neg = structuredClone(json.architecture);
    (neg.children[1] as Record<string, unknown>).inFeatures = -64;
    const e1 = await rejection(load(await variant('negative', { ...json, architecture: neg })));
    expect([e1.code, e1.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/^model\.json: .*inFeatures/)]);
    const dup = structuredClone(json.architecture);
    (dup.children[2] as Record<string, unknown>).name = 'fc1';
    const e2 = await rejection(load(await variant('duplicate', { ...json, architecture: dup })));
    expect([e2.code, e2.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/^model\.json: .*named 'fc1'/)]);
    const dotted = structuredClone(json.architecture);
    (dotted.children[0] as Record<string, unknown>).name = 'a.b';
    expect((await rejection(load(await variant('dotted', { ...json, architecture: dotted })))).code).toBe(
      'CORRUPT_FILE',
    );
  });

  it('leaks no tensor when a layer fails to build after others were built (found by fuzzing)', async () => {
    const arch = structuredClone(json.architecture);
    (arch.children[3] as Record<string, unknown>).bias = 'yes';
    const before = tf.memory().numTensors;
    const e = await rejection(load(await variant('late-failure', { ...json, architecture: arch })));
    expect([e.code, e.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/^model\.json: cannot rebuild/)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a weights.bin that is a FIFO at once, and symlinks that leave the directory', async () => {
    const fifo = path.join(root, 'fifo');
    await fs.mkdir(fifo);
    await fs.writeFile(path.join(fifo, 'model.json'), JSON.stringify(json));
    execFileSync('mkfifo', [path.join(fifo, 'weights.bin')]);
    const t0 = performance.now();
    const e = await rejection(load(fifo));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect([e.code, e.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/must be a regular file/)]);

    const outside = path.join(root, 'secret.bin');
    await fs.writeFile(outside, bin);
    const link = path.join(root, 'link');
    await fs.mkdir(link);
    await fs.writeFile(path.join(link, 'model.json'), JSON.stringify(json));
    await fs.symlink(outside, path.join(link, 'weights.bin'));
    const e2 = await rejection(load(link));
    expect([e2.code, e2.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/outside the model directory/)]);
    // A symlinked model.json is refused the same way; a symlinked directory itself is fine.
    const link2 = path.join(root, 'link2');
    await fs.mkdir(link2);
    await fs.symlink(path.join(good, 'model.json'), path.join(link2, 'model.json'));
    expect((await rejection(load(link2))).message).toMatch(/outside the model directory/);
    await fs.symlink(good, path.join(root, 'dirlink'));
    const { model } = await load(path.join(root, 'dirlink'));
    model.dispose();
    // A directory named weights.bin.
    const d = path.join(root, 'dirweights');
    await fs.mkdir(path.join(d, 'weights.bin'), { recursive: true });
    await fs.writeFile(path.join(d, 'model.json'), JSON.stringify(json));
    expect((await rejection(load(d))).code).toBe('CORRUPT_FILE');
  });

  it('refuses a model.json larger than 16 MiB without reading it', async () => {
    const d = path.join(root, 'huge');
    await fs.mkdir(d);
    await fs.writeFile(path.join(d, 'weights.bin'), bin);
    const h = await fs.open(path.join(d, 'model.json'), 'w');
    await h.truncate(17 * 2 ** 20);
    await h.close();
    const e = await rejection(load(d));
    expect([e.code, e.message]).toEqual(['CORRUPT_FILE', expect.stringMatching(/at most 16777216/)]);
  });
});

describeBackends('makeDirectory', () => {
  it('fails at once on procfs, where a recursive mkdir spins forever', async () => {
    const t0 = performance.now();
    const e = await rejection(makeDirectory('/proc/forbidden/run'));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect([e.code, e.message]).toEqual(['IO_ERROR', expect.stringMatching(/'\/proc\/forbidden\/run'/)]);
  });

  it('the ONNX and LayersModel writers fail at once on procfs too (tnzip export --out /proc/…)', async () => {
    const t0 = performance.now();
    const onnx = await rejection(writeOnnxFile('/proc/forbidden/out', new Uint8Array(4)));
    const layers = await rejection(writeLayersModelFiles('/proc/forbidden/out', { modelTopology: {} }));
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const e of [onnx, layers])
      expect([e.code, e.message]).toEqual(['IO_ERROR', expect.stringMatching(/\/proc\/forbidden\/out/)]);
  });

  it('creates missing parents, accepts existing directories, refuses a file in the way', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-mkdir-'));
    try {
      await makeDirectory(`${root}/a/b//c/`);
      await makeDirectory(`${root}/a/b`);
      expect((await fs.stat(`${root}/a/b/c`)).isDirectory()).toBe(true);
      await fs.writeFile(`${root}/f`, '');
      expect((await rejection(makeDirectory(`${root}/f/x`))).code).toBe('IO_ERROR');
      const cwd = process.cwd();
      process.chdir(root);
      try {
        await makeDirectory('rel/x');
      } finally {
        process.chdir(cwd);
      }
      expect((await fs.stat(`${root}/rel/x`)).isDirectory()).toBe(true);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
