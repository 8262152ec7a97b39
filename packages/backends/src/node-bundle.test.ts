import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A Node app bundled by esbuild (`platform: 'node'`, its default main fields: the way serverless
// functions are often packed) gets each tfjs package's `main` build. tfjs-backend-cpu lists only
// its ESM files under `sideEffects`, so a side-effect-only import of it is dropped from such a
// bundle, and with it the cpu backend's registration.

const run = promisify(execFile);
const index = fileURLToPath(new URL('./index.ts', import.meta.url));
const packageRoot = path.resolve(path.dirname(index), '..');
let dir = '';

beforeAll(async () => {
  // Inside the package, so the bundle resolves its one external (Dawn's native `webgpu`) at run time.
  const cache = path.join(packageRoot, 'node_modules', '.cache');
  await fs.mkdir(cache, { recursive: true });
  dir = await fs.mkdtemp(path.join(cache, 'node-bundle-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('@tnzip/backends in an esbuild bundle for Node', () => {
  it("useBackend('cpu') finds the cpu backend registered", async () => {
    const entry = path.join(dir, 'entry.mjs');
    await fs.writeFile(
      entry,
      [
        `import * as tf from '@tensorflow/tfjs-core';`,
        `import { useBackend } from ${JSON.stringify(index)};`,
        `const info = await useBackend('cpu');`,
        `const y = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));`,
        `console.log(JSON.stringify({ backend: tf.getBackend(), reason: info.reason, y: Array.from(await y.data()) }));`,
      ].join('\n'),
    );
    const out = path.join(dir, 'bundle.mjs');
    await esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      conditions: ['@tnzip/source'],
      external: ['webgpu'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
    });
    const { stdout } = await run(process.execPath, [out], { cwd: dir });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      backend: 'cpu',
      reason: 'requested cpu',
      y: [4, 6],
    });
  }, 60_000);
});
