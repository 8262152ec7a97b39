import type { ProgressEvent } from '@tnzip/train';

/** Where progress goes: a stream with an optional TTY flag and width (process.stderr fits). */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Progress output of one command: training events, free-form notes, and the end of a bar. */
export interface Progress {
  /**
   * Feeds @tnzip/train's `onProgress`. `label` prefixes the line (e.g. `dense`, `fine-tune`);
   * `evalSplit` names the split the epoch line's accuracy was measured on (default `test`).
   */
  train(label: string, evalSplit?: string): (event: ProgressEvent) => void;
  /** A line of its own (clears a live bar first). */
  note(message: string): void;
  /** Ends a live bar so that what follows starts on a fresh line. */
  done(): void;
}

/** `83s` → `1m23s`; `3725` → `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line: epoch, step, img/s, running loss and accuracy, ETA. */
export function progressLine(label: string, e: ProgressEvent): string {
  return (
    `${label} epoch ${e.epoch + 1}/${e.epochs} step ${e.step}/${e.stepsPerEpoch} ` +
    `${Math.round(e.imgPerSec)} img/s loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(2)}% ` +
    `ETA ${formatDuration(e.etaSeconds)}`
  );
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function epochLine(label: string, e: ProgressEvent, evalSplit: string): string {
  const r = e.record;
  const test = r?.testAcc === undefined ? '' : ` ${evalSplit} acc ${(100 * r.testAcc).toFixed(2)}%`;
  const secs = r === undefined ? '' : ` (${r.seconds.toFixed(1)} s)`;
  return `${label} epoch ${e.epoch + 1}/${e.epochs} done: train loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(2)}%${test}${secs}`;
}

/**
 * Progress on `stream`: on a TTY one live line (a bar, epoch, step, img/s, loss, accuracy, ETA)
 * redrawn at most 10 times a second; otherwise (CI logs, pipes) a plain line every
 * `plainEverySeconds` and one per epoch. `quiet` prints nothing.
 */
export function createProgress(
  stream: ProgressStream,
  options: { quiet?: boolean; plainEverySeconds?: number; stepDelayMs?: number } = {},
): Progress {
  const delay = options.stepDelayMs ?? 0;
  // A synchronous sleep after each step (TNZIP_STEP_DELAY_MS): lets tests interrupt a run at a
  // known point. It changes timing only, never the numbers.
  const pause = delay > 0 ? new Int32Array(new SharedArrayBuffer(4)) : null;
  const tty = stream.isTTY === true;
  const every = (options.plainEverySeconds ?? 10) * 1000;
  let live = false;
  let last = 0;
  const clear = (): void => {
    if (live) {
      stream.write('\r\x1b[2K');
      live = false;
    }
  };
  if (options.quiet === true) {
    return {
      train: () => (e) => {
        if (pause !== null && e.phase === 'train') Atomics.wait(pause, 0, 0, delay);
      },
      note: () => undefined,
      done: () => undefined,
    };
  }
  return {
    train(label, evalSplit = 'test') {
      last = 0;
      return (e) => {
        if (pause !== null && e.phase === 'train') Atomics.wait(pause, 0, 0, delay);
        const now = performance.now();
        if (e.phase === 'epoch') {
          clear();
          stream.write(`${epochLine(label, e, evalSplit)}\n`);
          last = now;
          return;
        }
        if (tty) {
          if (now - last < 100 && e.step < e.stepsPerEpoch) return;
          last = now;
          const text = `${bar(e.step / e.stepsPerEpoch, 20)} ${progressLine(label, e)}`;
          const cols = stream.columns ?? 120;
          stream.write(`\r\x1b[2K${text.length > cols - 1 ? text.slice(0, cols - 1) : text}`);
          live = true;
        } else if (last === 0 || now - last >= every) {
          if (last === 0) {
            last = now;
            return; // the first step includes warm-up; its rate would mislead
          }
          last = now;
          stream.write(`${progressLine(label, e)}\n`);
        }
      };
    },
    note(message) {
      clear();
      stream.write(`${message}\n`);
    },
    done() {
      clear();
    },
  };
}
