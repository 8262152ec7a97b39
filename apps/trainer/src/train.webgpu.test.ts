import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli.test-util.js';

// WebGPU group (runs when TNZIP_WEBGPU=1 or TNZIP_BACKENDS names webgpu; packages/backends/scripts/
// ci-webgpu.sh sets up Dawn on SwiftShader). Correctness, not speed: SwiftShader runs a 64×784×300
// matMul in about 0.3 s on this 2-core machine, so one epoch of the full 60,000 images would take
// over 20 minutes; the epoch here is over the first 2,000 training images (32 steps of the
// LeNet-300-100 recipe) and the first 1,000 test images, on both backends with the same seed.

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

async function trainOn(backend: 'wasm' | 'webgpu'): Promise<TrainJson> {
  const cwd = path.join(root, backend);
  await fs.mkdir(cwd);
  const args = ['train', '--model', 'lenet300', '--epochs', '1', '--limit-train', '2000', '--limit-test', '1000'];
  const r = await spawnCli([...args, '--backend', backend, '--json'], { cwd }).done;
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as TrainJson;
}

describe('tnzip train --backend webgpu', () => {
  it('trains LeNet-300-100 for one epoch to the accuracy and loss it reaches on wasm', async () => {
    const wasm = await trainOn('wasm');
    const webgpu = await trainOn('webgpu');
    expect(webgpu.config.backend.used).toBe('webgpu');
    expect(wasm.config.backend.used).toBe('wasm');
    // The run learned (chance is 10%; this epoch reaches about 76% on both backends).
    expect(wasm.results.dense.testAcc).toBeGreaterThan(0.6);
    // Same seed, data order and initialization: the backends differ only in float32 summation order,
    // which moves losses by ~1e-7 relative over 32 steps (measured); 1e-3 leaves room for other GPUs'
    // reduction orders while still catching a wrong kernel (which moves the loss by whole percents).
    const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
    expect(rel(webgpu.results.dense.testLoss, wasm.results.dense.testLoss)).toBeLessThan(1e-3);
    expect(rel(webgpu.curves.dense[0]?.trainLoss ?? Number.NaN, wasm.curves.dense[0]?.trainLoss ?? 0)).toBeLessThan(
      1e-3,
    );
    // At most 3 of the 1,000 test images may flip class (near-ties), i.e. 0.3 points.
    expect(Math.abs(webgpu.results.dense.testAcc - wasm.results.dense.testAcc)).toBeLessThanOrEqual(0.003);
  });
});
