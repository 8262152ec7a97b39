// End-to-end check of the built demo in Debian's chromium (headless, driven by playwright-core):
// 1. the page loads every model, a drawn stroke gets a prediction from each, and the top-1 class of
//    each of the 100 committed MNIST test samples in the browser equals Node's (load() on wasm, the
//    trainer's preprocessing) for every model, sample by sample; a screenshot goes to test-results/;
// 2. offline: with the network cut, a reload still loads every model (service worker);
// 3. errors: with one model's weights.bin answering 404 and another's corrupted (bytes flipped), the
//    page names the file in those panels and the other models still predict;
// 4. where chromium can run WebGPU on SwiftShader (Debian's chromium ships it), the page picks webgpu
//    and its per-sample top-1 equals Node's too;
// 5. the compress view (compress.html, e2e/compress-view.ts): a LayersModel fixture through the file
//    input, three budgets per method (re-plans < 100 ms), compress without blocking the main thread
//    > 200 ms, download, and the files load with stock tf.loadLayersModel in Node and predict alike.
// Needs `pnpm --filter @tnzip/demo build` first. CHROMIUM overrides /usr/bin/chromium.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@tnzip/backends';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { ModelsIndex } from '../src/models-index.js';
import { checkCompressView } from './compress-view.js';
import { nodeTop1, readSamples, trainerInput } from './node-reference.js';
import { serveStatic } from './static-server.js';

const t0 = performance.now();
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BROWSER_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** WebGPU on SwiftShader's Vulkan (no GPU needed). */
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
];
const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(app, 'dist');
const publicDir = join(app, 'public');
const results = join(app, 'test-results');
const log = (msg: string): void => console.log(`[e2e ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

async function main(): Promise<void> {
  const index = JSON.parse(await readFile(join(publicDir, 'models', 'index.json'), 'utf8')) as ModelsIndex;
  const names = index.models.map((m) => m.name);

  // Node's side: the same files, the same bytes, the trainer's preprocessing, wasm.
  await useBackend('wasm');
  const split = await readSamples(publicDir);
  const x = trainerInput(split);
  const expected: Record<string, number[]> = {};
  for (const m of index.models) expected[m.name] = await nodeTop1(join(publicDir, m.dir), x, split.count);
  log(`Node top-1 on ${split.count} samples: ${names.map((n) => `${n} ${hits(expected[n] ?? [])}`).join(', ')}`);

  function hits(top1: readonly number[]): number {
    return top1.reduce((a, c, i) => a + (c === split.labels[i] ? 1 : 0), 0);
  }

  const server = await serveStatic(dist);
  const browser: Browser = await chromium.launch({ executablePath, headless: true, args: BROWSER_ARGS });

  async function openPage(page: Page): Promise<void> {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => window.tnzipDemo !== undefined);
    await page.evaluate(() => window.tnzipDemo.ready);
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  }

  /** Draws a "7"-like stroke with the mouse, as a user would. */
  async function drawStroke(page: Page): Promise<void> {
    const box = await page.locator('#pad').boundingBox();
    assert.ok(box !== null, 'drawing canvas not visible');
    const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    await page.mouse.move(...at(0.3, 0.25));
    await page.mouse.down();
    await page.mouse.move(...at(0.7, 0.25), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.8), { steps: 12 });
    await page.mouse.up();
  }

  async function predictionsOf(page: Page, which: readonly string[]): Promise<Record<string, string>> {
    await page.waitForFunction(
      (ns) =>
        ns.every(
          (n) => (document.querySelector(`[data-model="${n}"] [data-top1]`)?.getAttribute('data-top1') ?? '') !== '',
        ),
      which,
      { timeout: 30_000 },
    );
    return page.evaluate(
      (ns) =>
        Object.fromEntries(
          ns.map((n) => [
            n,
            document.querySelector(`[data-model="${n}"] [data-top1]`)?.getAttribute('data-top1') ?? '',
          ]),
        ),
      which,
    );
  }

  const stateOf = (page: Page, name: string): Promise<string | null> =>
    page.locator(`[data-model="${name}"]`).getAttribute('data-state');

  /** Per-sample top-1 of every model in the page equals Node's, sample by sample. */
  async function sameTop1AsNode(page: Page): Promise<void> {
    const browserTop1 = await page.evaluate(() => window.tnzipDemo.evaluateSamples());
    for (const n of names) {
      const b = browserTop1[n];
      const e = expected[n] ?? [];
      assert.ok(b !== undefined, `no browser result for ${n}`);
      const differ = e.flatMap((c, i) => (b[i] === c ? [] : [`#${i}: node ${c}, browser ${b[i]}`]));
      assert.deepEqual(differ, [], `${n}: browser and Node top-1 differ`);
    }
  }

  try {
    // 1. Everything works, and the browser agrees with Node sample by sample.
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await openPage(page);
    const backend = await page.evaluate(() => window.tnzipDemo.backend);
    for (const n of names) assert.equal(await stateOf(page, n), 'ready', `model ${n} did not load`);
    await drawStroke(page);
    const drawn = await predictionsOf(page, names);
    log(`backend ${backend}; stroke predicted as ${JSON.stringify(drawn)}`);
    await sameTop1AsNode(page);
    const latencies = await page.evaluate(async () => {
      await window.tnzipDemo.measured;
      return window.tnzipDemo.latencies;
    });
    log(`browser == Node on all ${split.count} samples for ${names.join(', ')}`);
    // Every model ran the execution its file stores for this backend and thread count, or one measured on load.
    const executions = await page.evaluate(() => window.tnzipDemo.executions);
    assert.deepEqual(Object.keys(executions).sort(), [...names].sort(), 'every loaded model reports its executions');
    log(`executions: ${names.map((n) => `${n} ${executions[n]}`).join(', ')}`);
    log(
      `browser latency (median batch-1 ms): ${names.map((n) => `${n} ${latencies[n]?.medianMs.toFixed(2)}`).join(', ')}`,
    );
    await mkdir(results, { recursive: true });
    await page.screenshot({ path: join(results, 'demo.png'), fullPage: true });

    // 2. Offline after the first visit.
    await page.waitForFunction(
      () => document.getElementById('offline')?.textContent?.includes('ready') === true,
      null,
      {
        timeout: 60_000,
      },
    );
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.tnzipDemo !== undefined);
    await page.evaluate(() => window.tnzipDemo.ready);
    for (const n of names) assert.equal(await stateOf(page, n), 'ready', `offline: model ${n} did not load`);
    log('offline reload: every model loaded from the service worker cache');
    await context.close();

    // 3. A missing and a corrupted file (service workers blocked so that routes see every request).
    const [missing, corrupt] = [names[2], names[3]] as [string, string];
    const bad = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 1000 } });
    const page2 = await bad.newPage();
    await page2.route(`**/models/${missing}/weights.bin`, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page2.route(`**/models/${corrupt}/weights.bin`, async (route) => {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      for (let i = 0; i < body.length; i += 997) body[i] = (body[i] ?? 0) ^ 0xff;
      await route.fulfill({ response: res, body });
    });
    await openPage(page2);
    for (const [n, file] of [
      [missing, 'weights.bin'],
      [corrupt, 'weights.bin'],
    ] as const) {
      assert.equal(await stateOf(page2, n), 'error', `${n} should show an error`);
      const text = (await page2.locator(`[data-model="${n}"] .status`).textContent()) ?? '';
      assert.match(text, new RegExp(`models/${n}/.*${file.replace('.', '\\.')}`), `${n}: the error must name the file`);
      log(`${n}: "${text}"`);
    }
    const others = names.filter((n) => n !== missing && n !== corrupt);
    for (const n of others) assert.equal(await stateOf(page2, n), 'ready', `${n} should still load`);
    await drawStroke(page2);
    await predictionsOf(page2, others);
    await page2.screenshot({ path: join(results, 'demo-errors.png'), fullPage: true });
    await bad.close();
    log(`errors shown for ${missing} (404) and ${corrupt} (corrupted); ${others.join(', ')} still predict`);

    // 5. (before 4, which needs another chromium) The "Compress in the browser" view (compress.html): see compress-view.ts.
    await checkCompressView({ browser, url: server.url, publicDir, results, x, log });

    // 4. WebGPU, where chromium can get an adapter: SwiftShader, the software Vulkan driver inside
    //    Debian's chromium package. Skipped when it is missing or with TNZIP_DEMO_WEBGPU=0.
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    if (process.env.TNZIP_DEMO_WEBGPU === '0' || !existsSync(icd)) {
      log(`webgpu: skipped (${existsSync(icd) ? 'TNZIP_DEMO_WEBGPU=0' : `no ${icd}`})`);
    } else {
      const gpu = await chromium.launch({
        executablePath,
        headless: true,
        args: [...BROWSER_ARGS.filter((a) => a !== '--disable-gpu'), ...WEBGPU_ARGS],
        env: { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? icd },
      });
      try {
        const gpuPage = await (await gpu.newContext({ serviceWorkers: 'block' })).newPage();
        await openPage(gpuPage);
        const reason = await gpuPage.locator('#backend').textContent();
        assert.equal(await gpuPage.evaluate(() => window.tnzipDemo.backend), 'webgpu', `webgpu not chosen: ${reason}`);
        await sameTop1AsNode(gpuPage);
        log(`webgpu (${reason}): browser == Node on all ${split.count} samples for ${names.join(', ')}`);
      } finally {
        await gpu.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  log(`passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// The wasm runtime rethrows unhandled rejections with its whole source: report failures ourselves.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
