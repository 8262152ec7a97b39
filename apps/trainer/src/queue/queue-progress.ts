/** The state of one queued cell as the sweep last saw it. */
export interface CellState {
  readonly key: string;
  readonly state: 'waiting' | 'running' | 'done' | 'failed';
  /** The worker that ran (or runs) it, when known. */
  readonly worker?: string;
}

/**
 * One progress line: cells done / running / failed / waiting, then per worker what it has done and
 * runs now, e.g. `queue: 3/6 done, 2 running, 0 failed, 1 waiting | host:41: 2 done, 1 running | …`.
 */
export function progressLine(states: readonly CellState[]): string {
  const count = (s: CellState['state']): number => states.filter((c) => c.state === s).length;
  const workers = new Map<string, { done: number; running: number; failed: number }>();
  for (const c of states) {
    if (c.worker === undefined || c.state === 'waiting') continue;
    const w = workers.get(c.worker) ?? { done: 0, running: 0, failed: 0 };
    if (c.state === 'done') w.done++;
    else if (c.state === 'running') w.running++;
    else w.failed++;
    workers.set(c.worker, w);
  }
  const per = [...workers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, w]) => `${name}: ${w.done} done, ${w.running} running${w.failed > 0 ? `, ${w.failed} failed` : ''}`);
  const head = `queue: ${count('done')}/${states.length} done, ${count('running')} running, ${count('failed')} failed, ${count('waiting')} waiting`;
  return [head, ...per].join(' | ');
}
