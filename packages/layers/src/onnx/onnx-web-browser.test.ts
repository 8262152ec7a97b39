// The ONNX export run by onnxruntime-web (wasm) in Debian's chromium (headless, driven by
// playwright-core as the other browser tests): ort's own ESM build and wasm files are served from
// node_modules by a local server and every other request is refused, so nothing is fetched from
// the network. Needs /usr/bin/chromium (CHROMIUM overrides the path).
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as esbuild from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { artifactsOf, cnn, relErr } from '../keras/fixtures.test-util.js';
import { importLayersModel } from '../keras/import-model.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import type { Module } from '../module.js';
import type { FactorizationPlan } from '../plan.js';
import { cifarResNet } from '../testing-models.js';
import { exportOnnxModel } from './export-onnx.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORT_DIST = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
window.runOnnx = async (file, data, dims) => {
  const bytes = typeof file === 'string' ? new Uint8Array(await (await fetch(file)).arrayBuffer()) : Uint8Array.from(file);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(data), dims) });
  const y = Array.from(out[session.outputNames[0]].data);
  await session.release();
  return y;
};
window.ortReady = true;
</script><script type="module" src="/tnzip.js"></script>`;

/** The page's tnzip: `@tnzip/layers` from source, bundled for the browser (Node built-ins left out), with an export to run in the page. */
const ENTRY = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Conv2d, exportOnnxModel, factorize, Flatten, Linear, Sequential } from ${JSON.stringify(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'index.ts'))};
window.exportInPage = async () => {
  await tf.setBackend('cpu');
  const net = new Sequential('net', [
    new Conv2d('a', { inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same', seed: 1 }),
    new Flatten('flat'),
    new Linear('fc', { inFeatures: 5 * 4 * 8, outFeatures: 10, seed: 2 }),
  ]);
  factorize(net, { a: { kind: 'cp', rank: 4 }, fc: { kind: 'tt', rowDims: [1, 10], colDims: [160, 1], ranks: [5] } });
  const { bytes, report } = await exportOnnxModel(net, { inputShape: [10, 8, 3] });
  const x = tf.randomNormal([2, 10, 8, 3], 0, 1, 'float32', 3);
  const y = net.apply(x);
  return { bytes: Array.from(bytes), x: Array.from(x.dataSync()), y: Array.from(y.dataSync()), forms: report.layers.map((l) => l.form) };
};
window.tnzipReady = true;
`;
let bundle = '';

let browser: Browser;
let server: Server;
let origin = '';
const models = new Map<string, Uint8Array>();

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`no chromium at ${executablePath} (CHROMIUM overrides the path)`);
  await tf.setBackend('cpu');
  const built = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: path.dirname(new URL(import.meta.url).pathname), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['@tnzip/source'],
    external: ['node:*'],
    logLevel: 'error',
  });
  bundle = built.outputFiles[0]?.text ?? '';
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const send = (type: string, body: string | Uint8Array): void => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (url === '/') return send('text/html', PAGE);
    if (url === '/tnzip.js') return send('text/javascript', bundle);
    const model = models.get(url);
    if (model !== undefined) return send('application/octet-stream', model);
    const name = url.startsWith('/ort/') ? path.basename(url.slice(5)) : '';
    if (name === '') {
      res.writeHead(404).end();
      return;
    }
    fs.readFile(path.join(ORT_DIST, name)).then(
      (b) => send(name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', b),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

/** tnzip's output and onnxruntime-web's (in chromium) on `x` for the ONNX export of `model`. */
async function inChromium(name: string, model: Module, x: tf.Tensor, inputShape?: number[]): Promise<number> {
  const { bytes } = await exportOnnxModel(model, { outputActivation: 'none', ...(inputShape ? { inputShape } : {}) });
  models.set(`/${name}.onnx`, bytes);
  const ours = tf.tidy(() => model.apply(x));
  const page = await browser.newPage();
  const foreign: string[] = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin)) return route.continue();
    foreign.push(u);
    return route.abort();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { ortReady?: boolean }).ortReady === true);
  const theirs = await page.evaluate(
    ([file, data, dims]) =>
      (window as unknown as { runOnnx: (f: string, d: number[], s: number[]) => Promise<number[]> }).runOnnx(
        file,
        data,
        dims,
      ),
    [`/${name}.onnx`, Array.from(await x.data()), x.shape] as const,
  );
  await page.close();
  expect(errors).toEqual([]);
  expect(foreign).toEqual([]);
  expect(theirs.length).toBe(ours.size);
  const err = relErr(theirs, await ours.data());
  ours.dispose();
  return err;
}

describe('ONNX export in onnxruntime-web (wasm) in chromium', () => {
  it('the compressed CNN fixture (Tucker-2, CP grouped convs, TT conv and linear) agrees with tnzip (< 1e-4)', async () => {
    const net = cnn();
    const { model } = await importLayersModel(await artifactsOf(net));
    net.dispose();
    const plan: FactorizationPlan = {
      conv1: { kind: 'tucker2', rankS: null, rankT: 4 },
      conv2: { kind: 'cp', rank: 6 },
      conv3: { kind: 'tt', colDims: [2, 4], rowDims: [4, 4], ranks: [2, 4, 4, 3] },
      fc: { kind: 'tt', colDims: [4, 4], rowDims: [2, 5], ranks: [3] },
    };
    factorize(model, plan);
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 11);
    expect(await inChromium('cnn', model, x)).toBeLessThan(1e-4);
    x.dispose();
    model.dispose();
  }, 120_000);

  it('single layers with asymmetric pads (CP, Tucker-2 convs stride 2 over 10×8; a TT linear) agree with tnzip (< 1e-4)', async () => {
    const conv = (name: string): Conv2d =>
      new Conv2d(name, { inChannels: 8, outChannels: 16, kernelSize: 3, stride: 2, padding: 'same', seed: 5 });
    const net = new Sequential('net', [
      conv('a'),
      new Conv2d('b', { inChannels: 16, outChannels: 16, kernelSize: 3, padding: 'same', seed: 6 }),
      new Flatten('flat'),
      new Linear('fc', { inFeatures: 5 * 4 * 16, outFeatures: 10, seed: 7 }),
    ]);
    factorize(net, {
      a: { kind: 'cp', rank: 5 },
      b: { kind: 'tucker2', rankS: 6, rankT: 7 },
      fc: { kind: 'tt', colDims: [16, 20], rowDims: [2, 5], ranks: [4] },
    });
    const x = tf.randomNormal([3, 10, 8, 8], 0, 1, 'float32', 13);
    expect(await inChromium('layers', net, x, [10, 8, 8])).toBeLessThan(1e-4);
    x.dispose();
    net.dispose();
  }, 120_000);

  it("exportOnnxModel runs in the page (no Node), and onnxruntime-web runs its bytes there to tnzip's output (< 1e-4)", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => {
      const w = window as unknown as { ortReady?: boolean; tnzipReady?: boolean };
      return w.ortReady === true && w.tnzipReady === true;
    });
    const r = await page.evaluate(async () => {
      const w = window as unknown as {
        exportInPage: () => Promise<{ bytes: number[]; x: number[]; y: number[]; forms: string[] }>;
        runOnnx: (f: number[], d: number[], s: number[]) => Promise<number[]>;
      };
      const e = await w.exportInPage();
      return { ...e, theirs: await w.runOnnx(e.bytes, e.x, [2, 10, 8, 3]) };
    });
    await page.close();
    expect(errors).toEqual([]);
    expect(r.forms).toEqual(['factorized', 'factorized']);
    expect(r.theirs.length).toBe(20);
    expect(relErr(r.theirs, r.y)).toBeLessThan(1e-4);
  }, 120_000);

  it('a ResNet (residual blocks, channel-pad shortcuts) agrees with tnzip (< 1e-4)', async () => {
    const net = cifarResNet(8);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 12);
    expect(await inChromium('resnet', net, x, [32, 32, 3])).toBeLessThan(1e-4);
    x.dispose();
    net.dispose();
  }, 120_000);
});
