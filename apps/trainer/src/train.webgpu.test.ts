import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli.test-util.js';

// WebGPU group (runs when TNZIP_WEBGPU=1 or TNZIP_BACKENDS names webgpu; packages/backends/scripts/
// ci-webgpu.sh sets up Dawn on SwiftShader). Correctness, not speed: SwiftShader runs a 64×784×300
// matMul in 0.1–0.3 s on a 2-core machine, so 12,000 training images take about 2 minutes there
// (a full 60,000-image epoch took 5–9 minutes of CI; wasm: 2 s). Both runs use the same seed, data
// order and initialization.
interface TrainJson {
  readonly config: { readonly backend: { readonly used: string } };
  readonly results: { readonly dense: { readonly testAcc: number; readonly testLoss: number } };
  readonly curves: { readonly dense: readonly { readonly trainLoss: number }[] };
}

let root = '';
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-webgpu-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function trainOn(backend: 'wasm' | 'webgpu', limits: readonly string[]): Promise<TrainJson> {
  const cwd = await fs.mkdtemp(path.join(root, `${backend}-`));
  const args = ['train', '--model', 'lenet300', '--epochs', '1', '--no-latency', ...limits];
  const r = await spawnCli([...args, '--backend', backend, '--json'], { cwd }).done;
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as TrainJson;
}

/** |a − b| / |b|. */
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('tnzip train --backend webgpu', () => {
  it('trains LeNet-300-100 for 188 steps (12,000 MNIST images) to the test accuracy it reaches on wasm', async () => {
    const limits = ['--limit-train', '12000'];
    const wasm = await trainOn('wasm', limits);
    const webgpu = await trainOn('webgpu', limits);
    expect(webgpu.config.backend.used).toBe('webgpu');
    expect(wasm.config.backend.used).toBe('wasm');
    // This epoch reaches about 89% on the 10,000 test images (measured: 88.81% on both backends).
    expect(wasm.results.dense.testAcc).toBeGreaterThan(0.85);
    // Over 188 SGD steps the float32 summation-order differences between the backends grow (as
    // between any two GPUs): measured 1.7e-5 relative test loss and no test image flipped (a full
    // 938-step epoch parted by 0.19 points and 4.5e-4 relative train loss). 0.5 points (50 of
    // 10,000 test images) and 1e-3 still fail a wrong kernel, which costs whole points.
    expect(Math.abs(webgpu.results.dense.testAcc - wasm.results.dense.testAcc)).toBeLessThanOrEqual(0.005);
    expect(rel(webgpu.results.dense.testLoss, wasm.results.dense.testLoss)).toBeLessThan(1e-3);
    expect(rel(webgpu.curves.dense[0]?.trainLoss ?? Number.NaN, wasm.curves.dense[0]?.trainLoss ?? 0)).toBeLessThan(
      1e-3,
    );
  }, 900_000);

  it('matches wasm to float32 rounding over the first 32 steps (2,000 images)', async () => {
    const limits = ['--limit-train', '2000', '--limit-test', '1000'];
    const wasm = await trainOn('wasm', limits);
    const webgpu = await trainOn('webgpu', limits);
    expect(webgpu.config.backend.used).toBe('webgpu');
    expect(wasm.config.backend.used).toBe('wasm');
    // The run learned (chance is 10%; this epoch reaches about 76% on both backends).
    expect(wasm.results.dense.testAcc).toBeGreaterThan(0.6);
    // Same seed, data order and initialization: the backends differ only in float32 summation order,
    // which moves losses by ~1e-7 relative over 32 steps (measured); 1e-3 leaves room for other GPUs'
    // reduction orders while still catching a wrong kernel (which moves the loss by whole percents).
    expect(rel(webgpu.results.dense.testLoss, wasm.results.dense.testLoss)).toBeLessThan(1e-3);
    expect(rel(webgpu.curves.dense[0]?.trainLoss ?? Number.NaN, wasm.curves.dense[0]?.trainLoss ?? 0)).toBeLessThan(
      1e-3,
    );
    // At most 3 of the 1,000 test images may flip class (near-ties), i.e. 0.3 points.
    expect(Math.abs(webgpu.results.dense.testAcc - wasm.results.dense.testAcc)).toBeLessThanOrEqual(0.003);
  });
});
