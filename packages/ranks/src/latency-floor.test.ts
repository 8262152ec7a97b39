import { TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { checkLatencyReachable, LATENCY_FLOOR_MARGIN } from './latency-floor.js';
import { latencySelector } from './latency-selector.js';
import { LatencyTable } from './latency-table.js';
import { lenet5 } from './models.test-util.js';
import { uniformSelector } from './uniform.js';

const TIMING = { warmup: 1, rounds: 3, minMs: 0 } as const;
const CONTEXT = { inputShape: [28, 28, 1], layers: ['conv2', 'fc1'] };

async function error(p: Promise<unknown>): Promise<TnzipError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TnzipError);
  return e as TnzipError;
}

describeBackends('checkLatencyReachable', () => {
  it("refuses a target beyond the format's fastest plan (every rank 1) before any training, naming how far it can go", async () => {
    const model = lenet5();
    const options = { batch: 8, timing: TIMING, format: 'tucker2' } as const;
    await expectNoLeakAsync(async () => {
      const e = await error(checkLatencyReachable(model, { metric: 'latency', target: 1e-3 }, CONTEXT, options));
      expect(e.code).toBe('INVALID_BUDGET');
      expect(e.message).toMatch(
        /^latency target 0\.001 \(1\.00e\+3x faster\) is out of reach at batch 8: with every rank at 1 \(tucker2\) the compressible layers still take [0-9.e+-]+ of the dense time \(at most [0-9.e+-]+x faster\)$/,
      );
      // The whole model: the layers left dense count too.
      const whole = await error(
        checkLatencyReachable(model, { metric: 'latency', target: 1e-3, scope: 'model' }, CONTEXT, options),
      );
      expect(whole.code).toBe('INVALID_BUDGET');
    });
    model.dispose();
  }, 180_000);

  it('lets through every target the selection meets, and 1x; the floor is the fastest plan over dense', async () => {
    const model = lenet5();
    const table = new LatencyTable();
    const options = { batch: 8, timing: TIMING, format: 'tucker2', table } as const;
    let floor = Number.NaN;
    await expectNoLeakAsync(async () => {
      floor = await checkLatencyReachable(model, { metric: 'latency', target: 1 }, CONTEXT, options);
    });
    expect(floor).toBeGreaterThan(0);
    expect(floor).toBeLessThanOrEqual(1);
    // What the selection reaches (on the same table) is never refused: its plans are no faster than rank 1.
    const sel = latencySelector(uniformSelector({ denseFallback: 'metric' }), {
      batch: 8,
      table,
      steps: 3,
      timing: TIMING,
    });
    const reached = (await sel.select(model, { metric: 'latency', target: 0.9 }, CONTEXT)).report.achievedLayers;
    await expect(
      checkLatencyReachable(model, { metric: 'latency', target: reached / LATENCY_FLOOR_MARGIN }, CONTEXT, options),
    ).resolves.toBeLessThanOrEqual(reached);
    // Bad input: not a latency budget, a bad batch, no input shape.
    expect((await error(checkLatencyReachable(model, { metric: 'macs', target: 0.5 }, CONTEXT, options))).code).toBe(
      'INVALID_BUDGET',
    );
    expect(
      (await error(checkLatencyReachable(model, { metric: 'latency', target: 0.5 }, CONTEXT, { ...options, batch: 0 })))
        .code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (await error(checkLatencyReachable(model, { metric: 'latency', target: 0.5 }, { inputShape: null } as never)))
        .code,
    ).toBe('INVALID_ARGUMENT');
    model.dispose();
  }, 180_000);
});
