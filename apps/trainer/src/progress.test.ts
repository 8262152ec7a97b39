import type { ProgressEvent } from '@tnzip/train';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from './progress.js';

const event = (step: number, phase: 'train' | 'epoch' = 'train'): ProgressEvent => ({
  phase,
  epoch: 1,
  epochs: 3,
  step,
  stepsPerEpoch: 100,
  globalStep: 100 + step,
  totalSteps: 300,
  loss: 0.12345,
  accuracy: 0.9712,
  lr: 0.01,
  imgPerSec: 1234.4,
  etaSeconds: 83,
});

function sink(isTTY: boolean): {
  s: { write: (t: string) => void; isTTY: boolean; columns: number };
  text: () => string;
} {
  let text = '';
  return { s: { write: (t: string) => (text += t), isTTY, columns: 200 }, text: () => text };
}

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(83)).toBe('1m23s');
    expect(formatDuration(3725)).toBe('1h02m');
  });

  it('on a TTY redraws one line with epoch, step, img/s, loss, accuracy and ETA', () => {
    const { s, text } = sink(true);
    const p = createProgress(s);
    p.train('train')(event(10));
    expect(text()).toBe(
      '\r\x1b[2K[##..................] train epoch 2/3 step 10/100 1234 img/s loss 0.1235 acc 97.12% ETA 1m23s',
    );
    expect(text()).not.toContain('\n');
    p.note('done');
    expect(text().endsWith('\r\x1b[2Kdone\n')).toBe(true);
  });

  it('otherwise prints plain lines, at most one per interval, plus one per epoch', () => {
    const { s, text } = sink(false);
    const on = createProgress(s, { plainEverySeconds: 3600 }).train('dense');
    for (let i = 1; i <= 100; i++) on(event(i));
    expect(text()).toBe('');
    on(event(100, 'epoch'));
    expect(text()).toBe('dense epoch 2/3 done: train loss 0.1235 acc 97.12%\n');
    expect(text()).not.toContain('\x1b');
  });

  it("names the split an epoch's accuracy was measured on: test by default, or the one given", () => {
    const { s, text } = sink(false);
    const p = createProgress(s);
    const record = { type: 'epoch', epoch: 1, globalStep: 200, trainLoss: 0.12, trainAcc: 0.97, lr: 0.01 } as const;
    const withRecord: ProgressEvent = {
      ...event(100, 'epoch'),
      record: { ...record, testAcc: 0.95, imgPerSec: 1000, seconds: 2.5 },
    };
    p.train('fine-tune')(withRecord);
    p.train('probe', 'validation')(withRecord);
    expect(text().split('\n')).toEqual([
      'fine-tune epoch 2/3 done: train loss 0.1235 acc 97.12% test acc 95.00% (2.5 s)',
      'probe epoch 2/3 done: train loss 0.1235 acc 97.12% validation acc 95.00% (2.5 s)',
      '',
    ]);
  });
});
