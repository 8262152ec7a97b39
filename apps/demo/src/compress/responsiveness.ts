/**
 * Watches how long the main thread is blocked: the 'longtask' entries of a PerformanceObserver (tasks
 * over 50 ms, where the browser reports them) and the largest gap between ticks of a 10 ms timer (which
 * any browser can measure). `start()` resets both; `stop()` returns what was seen since.
 */
export class ResponsivenessProbe {
  private longest = 0;
  private tasks: number[] = [];
  private last = 0;
  private maxGap = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly observer: PerformanceObserver | null;

  constructor() {
    let obs: PerformanceObserver | null = null;
    try {
      obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          this.tasks.push(e.duration);
          this.longest = Math.max(this.longest, e.duration);
        }
      });
      obs.observe({ type: 'longtask', buffered: false });
    } catch {
      obs = null;
    }
    this.observer = obs;
  }

  start(): void {
    this.longest = 0;
    this.tasks = [];
    this.maxGap = 0;
    this.last = performance.now();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => {
      const t = performance.now();
      this.maxGap = Math.max(this.maxGap, t - this.last);
      this.last = t;
    }, 10);
  }

  stop(): { longTasks: number[]; longestTaskMs: number; maxTimerGapMs: number; observed: boolean } {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.maxGap = Math.max(this.maxGap, performance.now() - this.last);
    return {
      longTasks: [...this.tasks],
      longestTaskMs: this.longest,
      maxTimerGapMs: this.maxGap,
      observed: this.observer !== null,
    };
  }
}
