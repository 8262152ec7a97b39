// Browser check of the "Compress in the browser" view (compress.html), called by run.ts:
// a LayersModel fixture through the file input; for every method, the slider at three budgets (ranks
// and sizes change, each re-plan under 100 ms as the page measures it, after the first scoring);
// compress with a few fine-tuning steps while the main thread is watched (never blocked > 200 ms);
// download; the downloaded files load with stock tf.loadLayersModel (tfjs-layers) in Node and
// predict what the page's compressed model predicted. Then, at phone width, offline: a bundled model.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Browser, Page } from 'playwright-core';
import type { MethodName, PlanInfo } from '../src/compress/protocol.js';
import { fileHandler, writeLenetFixture } from './layers-files.js';

/** Re-plan limit of the issue (input event → plan drawn, measured in the page). */
const REPLAN_MS = 100;
/** Longest the main thread may be blocked while the worker factorizes. */
const BLOCKED_MS = 200;
const BUDGETS = [0.5, 0.25, 0.1] as const;
const METHODS: readonly MethodName[] = ['energy', 'vbmf', 'greedy', 'lwiq'];

export interface CompressViewCheck {
  readonly browser: Browser;
  readonly url: string;
  readonly publicDir: string;
  readonly results: string;
  /** The 100 samples as the trainer normalizes them, `[100, 28, 28, 1]`. */
  readonly x: Float32Array;
  readonly log: (msg: string) => void;
}

async function planAt(page: Page, method: MethodName, target: number): Promise<{ plan: PlanInfo; ms: number }> {
  const before = await page.evaluate(() => window.tnzipCompress.plans.length);
  await page.locator('#budget').fill(String(target));
  await page.waitForFunction(
    ([m, t, n]) => {
      const api = window.tnzipCompress;
      return api.plans.length > n && api.lastPlan?.method === m && api.lastPlan.target === t;
    },
    [method, target, before] as const,
    { timeout: 30_000 },
  );
  return page.evaluate(() => {
    const api = window.tnzipCompress;
    return { plan: api.lastPlan as PlanInfo, ms: api.plans[api.plans.length - 1]?.ms ?? Number.NaN };
  });
}

/** Every method at three budgets: ranks and sizes change, each re-plan < REPLAN_MS. */
async function slideBudgets(page: Page, log: (msg: string) => void): Promise<void> {
  for (const method of METHODS) {
    await page.locator('#method').selectOption(method);
    await page.waitForFunction((m) => window.tnzipCompress.scoring[m] !== undefined, method, { timeout: 120_000 });
    const seen: { params: number; ranks: string; ms: number }[] = [];
    for (const t of BUDGETS) {
      const { plan, ms } = await planAt(page, method, t);
      assert.ok(ms < REPLAN_MS, `${method} at ${t}: re-plan took ${ms.toFixed(1)} ms (limit ${REPLAN_MS})`);
      assert.ok(plan.achievedLayers <= t + 1e-9, `${method} at ${t}: plan keeps ${plan.achievedLayers}`);
      const shown = await page.locator('#layers tbody .plan').allTextContents();
      seen.push({ params: plan.model.planned.params, ranks: shown.join(' | '), ms });
    }
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]] as [(typeof seen)[number], (typeof seen)[number]];
      assert.ok(b.params < a.params, `${method}: params must shrink with the budget (${a.params} → ${b.params})`);
      assert.notEqual(b.ranks, a.ranks, `${method}: the ranks on screen must change between budgets`);
    }
    const scoring = await page.evaluate((m) => window.tnzipCompress.scoring[m] ?? 0, method);
    log(
      `compress view, ${method}: scoring ${scoring.toFixed(0)} ms; budgets ${BUDGETS.join(', ')} → params ${seen.map((s) => s.params).join(', ')}; ranks ${seen.map((s) => `[${s.ranks}]`).join(' ')}; re-plan ${seen.map((s) => s.ms.toFixed(1)).join(', ')} ms`,
    );
  }
}

/** Compresses at the slider's budget with fine-tuning, downloads, and checks the files in Node. */
async function compressAndDownload(page: Page, c: CompressViewCheck): Promise<void> {
  await page.locator('#finetune').check();
  await page.locator('#steps').fill('10');
  await page.locator('#compress').click();
  await page.waitForSelector('#result[data-done="1"]', { timeout: 180_000 });
  const r = await page.evaluate(() => window.tnzipCompress.lastCompress);
  assert.ok(r !== null);
  const resp = r.responsiveness;
  c.log(
    `compress: factorized in ${r.factorizeMs.toFixed(0)} ms (worker); main thread: longest long task ${resp.longestTaskMs.toFixed(0)} ms (${resp.longTasks.length} long tasks, observer ${resp.observed ? 'on' : 'unavailable'}), largest 10-ms-timer gap ${resp.maxTimerGapMs.toFixed(0)} ms`,
  );
  assert.ok(
    resp.maxTimerGapMs <= BLOCKED_MS,
    `main thread blocked ${resp.maxTimerGapMs.toFixed(0)} ms during compression`,
  );
  assert.ok(resp.longestTaskMs <= BLOCKED_MS, `a ${resp.longestTaskMs.toFixed(0)} ms long task during compression`);
  c.log(
    `compress: accuracy on the samples ${r.accuracyBefore} before, ${r.accuracyAfter} after ${r.finetuneSteps} steps; latency dense ${r.latencyDense?.medianMs.toFixed(2)} ms, compressed ${r.latencyCompressed?.medianMs.toFixed(2)} ms; ${r.exportedParams} weights exported for ${r.params} params`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'tnzip-demo-download-'));
  try {
    for (const name of ['model.json', 'model.weights.bin']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
      assert.equal(download.suggestedFilename(), name);
      await download.saveAs(join(dir, name));
    }
    const model = await tfl.loadLayersModel(fileHandler(dir));
    const out = tf.tidy(() => model.predict(tf.tensor4d(c.x, [r.top1.length, 28, 28, 1])) as tf.Tensor2D);
    const probs = (await out.data()) as Float32Array;
    const top1 = (await tf.tidy(() => tf.argMax(out, 1)).data()) as Int32Array;
    tf.dispose(out);
    model.dispose();
    const differ = r.top1.flatMap((k, i) => (top1[i] === k ? [] : [`#${i}: page ${k}, node ${top1[i]}`]));
    assert.deepEqual(differ, [], 'the downloaded model predicts another class than the page');
    let maxDiff = 0;
    for (let i = 0; i < probs.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((probs[i] as number) - (r.probs[i] as number)));
    // float32 through different op chains (the page's factorized layers vs the stock Keras chain): 1e-4 is ~1000 ulps of a probability.
    assert.ok(maxDiff < 1e-4, `probabilities differ by up to ${maxDiff}`);
    c.log(
      `download: tf.loadLayersModel in Node predicts the page's top-1 on all ${r.top1.length} samples; probabilities within ${maxDiff.toExponential(1)}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function checkCompressView(c: CompressViewCheck): Promise<void> {
  const fixture = await mkdtemp(join(tmpdir(), 'tnzip-demo-fixture-'));
  try {
    const files = await writeLenetFixture(c.publicDir, fixture);
    const context = await c.browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(new URL('compress.html', c.url).href);
    await page.waitForFunction(() => window.tnzipCompress !== undefined);
    await page.evaluate(() => window.tnzipCompress.ready);
    await page.locator('#files').setInputFiles(files);
    await page.waitForFunction(() => window.tnzipCompress.lastPlan !== null, null, { timeout: 120_000 });
    const loaded = await page.evaluate(() => window.tnzipCompress.loaded);
    c.log(
      `compress view: fixture loaded: ${loaded?.layers.map((l) => `${l.path} ${l.kind} ${l.weightShape.join('×')}`).join(', ')}; dense accuracy ${loaded?.accuracy}`,
    );
    await slideBudgets(page, c.log);
    await page.locator('#method').selectOption('energy');
    await planAt(page, 'energy', 0.25);
    await page.waitForFunction(() => window.tnzipCompress.planAccuracy !== null, null, { timeout: 60_000 });
    await compressAndDownload(page, c);
    await page.screenshot({ path: join(c.results, 'compress-desktop.png'), fullPage: true });
    assert.deepEqual(errors, [], 'uncaught errors in the compress view');
    await page.waitForFunction(
      () => document.getElementById('offline')?.textContent?.includes('ready') === true,
      null,
      {
        timeout: 60_000,
      },
    );
    await context.close();
    await phoneOffline(c);
  } finally {
    await rm(fixture, { recursive: true, force: true });
  }
}

/** Phone width, offline after a first visit: a bundled model loads and plans (service worker cache). */
async function phoneOffline(c: CompressViewCheck): Promise<void> {
  const context = await c.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  await page.goto(new URL('compress.html', c.url).href);
  await page.waitForFunction(() => document.getElementById('offline')?.textContent?.includes('ready') === true, null, {
    timeout: 60_000,
  });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => window.tnzipCompress !== undefined);
  await page.evaluate(() => window.tnzipCompress.ready);
  await page.locator('#bundled').selectOption('models/dense/');
  await page.locator('#bundled-form button').click();
  await page.waitForFunction(() => window.tnzipCompress.lastPlan !== null, null, { timeout: 120_000 });
  await page.waitForFunction(() => window.tnzipCompress.planAccuracy !== null, null, { timeout: 60_000 });
  await page.screenshot({ path: join(c.results, 'compress-phone.png'), fullPage: true });
  c.log(
    'compress view offline at phone width: the bundled dense model loaded and planned from the service worker cache',
  );
  await context.close();
}
