// Release rehearsal, step 5 (see ../release-rehearsal.sh):
//   node browser.mjs <work dir> <versions JSON> <registry URL> <chromium executable>
// Installs every published package (rehearsal versions, from the local registry) into a fresh
// directory, bundles one page that imports all of them for the browser with esbuild and with Vite
// (both from this repository), and runs each bundle in Debian chromium: a Tucker-2 layer trains one step on the cpu backend and its loss drops, the
// zoo builds LeNet-5, and @tnzip/data's file reader throws its browser stand-in's TnzipError.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const [work, versionsJson, registry = '', chromiumPath = '/usr/bin/chromium'] = process.argv.slice(2);
if (work === undefined || versionsJson === undefined) {
  console.error('usage: node browser.mjs <work dir> <versions JSON> <registry URL> <chromium executable>');
  process.exit(2);
}
const versions = JSON.parse(versionsJson);
if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(registry)) {
  console.error(`browser: the registry must be the local rehearsal registry on 127.0.0.1, got '${registry}'`);
  process.exit(2);
}
const repo = resolve(import.meta.dirname, '..', '..');
const demoRequire = createRequire(join(repo, 'apps', 'demo', 'package.json'));
const env = { ...process.env, NODE_OPTIONS: '', NODE_PATH: '' };

const APP = `import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@tnzip/backends';
import { readIdxFile } from '@tnzip/data';
import { Tucker2Conv2d } from '@tnzip/layers';
import { parseBudget } from '@tnzip/ranks';
import { TnzipError } from '@tnzip/tensor';
import { train } from '@tnzip/train';
import { createModel } from '@tnzip/zoo';

const report = {};
try {
  await useBackend('cpu');
  const layer = new Tucker2Conv2d('t', { inChannels: 4, outChannels: 6, kernelSize: [3, 3], rankS: 2, rankT: 3, seed: 1 });
  const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 1);
  const loss = () => tf.mean(tf.square(layer.apply(x, { training: true })));
  const before = tf.tidy(() => loss().dataSync()[0]);
  const vars = layer.namedParameters().map(([, v]) => v);
  tf.train.sgd(0.05).minimize(loss, false, vars);
  const after = tf.tidy(() => loss().dataSync()[0]);
  report.loss = [before, after];
  report.zooParams = createModel('lenet5', { seed: 0 }).cost([28, 28, 1]).params;
  report.budget = parseBudget('4x', 'params');
  report.train = typeof train;
  try {
    readIdxFile('train-images-idx3-ubyte');
    report.standIn = 'no error';
  } catch (e) {
    report.standIn = e instanceof TnzipError ? e.code + ': ' + e.message : String(e);
  }
} catch (e) {
  report.error = String(e && e.stack ? e.stack : e);
}
window.__rehearsal = report;
`;

function sh(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, env, stdio: 'inherit', timeout: 300_000 });
}

/** Serves `dir` on 127.0.0.1; resolves to the server and its base URL. */
function serve(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => ok([server, `http://127.0.0.1:${server.address().port}/`])),
  );
}

async function runInChromium(browser, dir, label) {
  const [server, url] = await serve(dir);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__rehearsal !== undefined, undefined, { timeout: 120_000 });
    const report = await page.evaluate(() => window.__rehearsal);
    const problems = [...errors];
    if (report.error !== undefined) problems.push(report.error);
    const [before, after] = report.loss ?? [];
    if (!(after < before)) problems.push(`one SGD step did not lower the loss: ${before} -> ${after}`);
    if (typeof report.zooParams !== 'number') problems.push('zoo did not build LeNet-5');
    if (report.train !== 'function') problems.push('@tnzip/train did not load');
    const standIn = String(report.standIn);
    if (!standIn.startsWith('IO_ERROR: ') || !/@tnzip\/data: node:fs \w+\(\) exists only in Node/.test(standIn)) {
      problems.push(`readIdxFile in a page: expected the stand-in's IO_ERROR, got ${report.standIn}`);
    }
    if (problems.length > 0) throw new Error(`${label} bundle in chromium: ${problems.join('; ')}`);
    console.log(
      `${label} bundle in chromium: loss ${before.toFixed(4)} -> ${after.toFixed(4)}, LeNet-5 ${report.zooParams} params; ${report.standIn}`,
    );
  } finally {
    await page.close();
    server.close();
  }
}

// `--reuse` (debugging): keep what an earlier run installed in <work dir> and only bundle and run.
if (!process.argv.includes('--reuse')) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), '{ "name": "consumer-browser", "private": true, "type": "module" }\n');
  const specs = Object.entries(versions).map(([name, v]) => `${name}@${v}`);
  const npmArgs = ['--no-audit', '--no-fund', '--loglevel=error', `--registry=${registry}`];
  sh('npm', ['install', ...npmArgs, ...specs, '@tensorflow/tfjs-core'], work);
}
rmSync(join(work, 'out-esbuild'), { recursive: true, force: true });
rmSync(join(work, 'out-vite'), { recursive: true, force: true });
writeFileSync(join(work, 'app.js'), APP);
writeFileSync(
  join(work, 'index.html'),
  '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>\n',
);

// esbuild's API rather than node_modules/.bin/esbuild: pnpm's bin shims set NODE_PATH to the
// monorepo's store, which would let the bundle find packages the consumer did not install.
await build({
  absWorkingDir: work,
  entryPoints: ['app.js'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  nodePaths: [],
  logLevel: 'warning',
  outfile: join(work, 'out-esbuild', 'app.js'),
});
// @tnzip/layers' "browser" field must swap its bundled copy of tfjs-core's gradients (for plain
// Node) for tfjs-core's own module: one tfjs-core in the page. esbuild keeps module path comments.
const esbuildOut = readFileSync(join(work, 'out-esbuild', 'app.js'), 'utf8');
if (esbuildOut.includes('@tnzip/layers/vendor/tfjs-core-gradients.js')) {
  throw new Error(
    "esbuild bundle holds @tnzip/layers' Node copy of tfjs-core's gradients: its browser field was ignored",
  );
}
if (!esbuildOut.includes('@tnzip/layers/vendor/tfjs-core-gradients.browser.js')) {
  throw new Error("esbuild bundle lacks @tnzip/layers' vendor/tfjs-core-gradients.browser.js");
}
writeFileSync(join(work, 'out-esbuild', 'index.html'), readFileSync(join(work, 'index.html')));
const vite = join(demoRequire.resolve('vite/package.json'), '..', 'bin', 'vite.js');
sh('node', [vite, 'build', '--outDir', 'out-vite', '--logLevel', 'warn'], work);

const { chromium } = demoRequire('playwright-core');
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  await runInChromium(browser, join(work, 'out-esbuild'), 'esbuild');
  await runInChromium(browser, join(work, 'out-vite'), 'Vite');
} finally {
  await browser.close();
}
