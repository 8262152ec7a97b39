import * as fs from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write.js';
import type { TrainCallback } from '../callback.js';
import { rate } from '../train-run.js';

/**
 * Logs a step line every `logEvery` global steps (0: none) into `run.metrics` and, with `file`,
 * keeps `file` (`metrics.jsonl`) equal to `run.metrics`, one JSON object per line: rewritten at
 * the start (so a resume drops the lines logged after its checkpoint), then one append per line.
 */
export function metricsLog(file: string | null, logEvery: number): TrainCallback {
  let lastTime = 0;
  let lastSeen = 0;
  return {
    onRunStart: async (run) => {
      if (file !== null) await writeFileAtomic(file, run.metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    },
    onEpochStart: (run) => {
      lastTime = run.clock.epochStart;
      lastSeen = 0;
    },
    afterStep: async (run, s) => {
      if (logEvery === 0 || run.globalStep % logEvery !== 0) return;
      const now = performance.now();
      const seen = run.clock.seenThisEpoch;
      const imgPerSec = rate(seen - lastSeen, now - lastTime);
      [lastTime, lastSeen] = [now, seen];
      const { epoch, globalStep } = run;
      await run.log({
        type: 'step',
        epoch,
        step: s.step,
        globalStep,
        loss: s.loss,
        accuracy: s.correct / s.count,
        lr: s.lr,
        imgPerSec,
      });
    },
    // One append of one line: a reader never sees a partial line short of a crash inside write(2),
    // and a resume rewrites the file from the checkpoint anyway.
    onRecord: async (_run, record) => {
      if (file !== null) await fs.appendFile(file, `${JSON.stringify(record)}\n`);
    },
  };
}
