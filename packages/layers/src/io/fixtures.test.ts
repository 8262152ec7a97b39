import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { fixtureInput } from './fixtures/fixture-input.test-util.js';
import { load } from './load.js';

// Model directories written by the code of format version 1 before the factorized kinds became
// registry entries (fixtures/make-fixtures.test-util.ts), with the output the writing code computed for a
// fixed input. Loading them must keep working, and give the same numbers.
const V1 = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'v1');
const NAMES = ['tucker2', 'tucker2-auto', 'cp', 'tt-linear', 'tt-conv', 'ada-tucker', 'scada-tucker'];

describeBackends('model files of format version 1', () => {
  it.each(NAMES)('%s loads and computes the stored output', async (name) => {
    const dir = path.join(V1, name);
    const expected = JSON.parse(await fs.readFile(path.join(dir, 'expected.json'), 'utf8')) as {
      shape: number[];
      output: number[];
    };
    const loaded = await load(dir);
    // Warm-up: the first inference caches BatchNorm folded into the conv weights (freed by dispose).
    tf.tidy(() => loaded.model.apply(fixtureInput())).dispose();
    // Counted after load: the dense Conv2d / Linear / BatchNorm constructors leave their init
    // tensors behind (a leak of those classes, not of the file format).
    const before = tf.memory().numTensors;
    expect(loaded.json.formatVersion).toBe(1);
    expect(loaded.plan).not.toBeNull();
    const x = fixtureInput();
    const y = loaded.model.apply(x);
    expect(y.shape).toEqual(expected.shape);
    const got = Array.from(await y.data());
    // float32 forward passes of a few hundred MACs per output: the backends' summation orders
    // differ by a few ulps of the largest value.
    const scale = Math.max(...expected.output.map(Math.abs));
    got.forEach((v, i) => {
      expect(Math.abs(v - (expected.output[i] as number))).toBeLessThanOrEqual(1e-5 * scale);
    });
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    loaded.model.dispose();
  });
});
