import { useBackend } from '@tnzip/backends';
import { mnist } from '@tnzip/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';
import { resolveTrainConfig } from './train-config.js';
import { trainOptions } from './training.js';

describe('--workers', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  const options = (values: Record<string, string>) => {
    const cfg = resolveTrainConfig({ model: 'lenet300', ...values }, null);
    const progress = createProgress({ write: () => true, isTTY: false }, { quiet: true });
    return { cfg, o: trainOptions(mnist(), cfg, '/tmp/unused', false, progress, 'train') };
  };

  it('is passed to @tnzip/train, and defaults to 1 (not stored in the config)', () => {
    expect(options({ workers: '2' }).o.workers).toBe(2);
    const d = options({});
    expect(d.cfg.workers).toBeUndefined();
    expect(d.o.workers).toBe(1);
  });

  it('rejects values outside [1, 16]', () => {
    expect(() => options({ workers: '0' })).toThrow("--workers must be an integer in [1, 16], got '0'");
    expect(() => options({ workers: '17' })).toThrow(/\[1, 16\]/);
  });
});
