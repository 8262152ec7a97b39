/**
 * Times `step` after one warm-up run (kernel compilation, XNNPACK operator caches, a worker's first
 * run): at least 3 timed runs, more while `budgetMs` lasts (at most 50). Returns the median in ms.
 */
export async function medianTime(step: () => Promise<void>, budgetMs: number): Promise<{ ms: number; reps: number }> {
  await step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 50)) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? Number.NaN, reps: times.length };
}
