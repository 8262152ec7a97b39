import type { WorkerMessage, WorkerRequest } from './protocol.js';

/** Distributes `Omit` over a union, so each request keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * A promise per request to the view's worker (`worker.ts`): answers are matched by `id`; `progress`
 * messages go to the request's `onProgress`. The worker handles requests one at a time, in order.
 */
export class WorkerClient {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (fraction: number, stage: string) => void }
  >();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      if (m.type === 'progress') p.onProgress?.(m.fraction, m.stage);
      else {
        this.pending.delete(m.id);
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(new Error(m.message));
      }
    };
    worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`worker failed: ${e.message}`));
      this.pending.clear();
    };
  }

  /** Sends `req` and resolves with the worker's answer (typed by the caller: `T`). */
  request<T>(
    req: WithoutId<WorkerRequest>,
    onProgress?: (fraction: number, stage: string) => void,
    transfer: Transferable[] = [],
  ): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        ...(onProgress === undefined ? {} : { onProgress }),
      });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }
}

/** A new view worker (a module worker, which Vite bundles from `worker.ts`). */
export function startWorker(): WorkerClient {
  return new WorkerClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
}
