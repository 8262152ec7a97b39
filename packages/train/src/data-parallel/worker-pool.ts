import type { Worker } from 'node:worker_threads';
import { isTnzipErrorCode, TnzipError } from '@tnzip/tensor';
import type { ShardRequest, TrainWorkerInit, TrainWorkerReply, WorkerFailure } from './protocol.js';
import type { WorkerEntry } from './worker-entry.js';

/** What a worker computed for one shard. */
export type ShardResult = Extract<TrainWorkerReply, { kind: 'done' }>;

function workerError(index: number, what: string, f: WorkerFailure): TnzipError {
  const code = isTnzipErrorCode(f.code) ? f.code : 'BACKEND_UNAVAILABLE';
  return new TnzipError(code, `data-parallel training: worker ${index} ${what}: ${f.name}: ${f.message}`, {
    cause: f,
  });
}

/**
 * One training worker: at most one request in flight. A worker that crashes or exits rejects its
 * request (and every later one) with `BACKEND_UNAVAILABLE` naming it, so a dead worker is an
 * error, never a hang.
 */
export class TrainWorker {
  private pending: { id: number; resolve: (r: ShardResult) => void; reject: (e: TnzipError) => void } | null = null;
  private nextId = 0;
  private dead: TnzipError | null = null;
  private exited = false;
  /** Settles when the worker has loaded the model (or failed to). */
  readonly started: Promise<void>;

  private constructor(
    readonly index: number,
    private readonly worker: Worker,
  ) {
    this.started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: TrainWorkerReply): void => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'init-error') reject(workerError(index, 'could not load the model', m.error));
        else this.settle(m);
      };
      worker.on('message', onMessage);
      worker.on('error', (e: Error) => {
        const err = workerError(index, 'crashed', { name: e.name, message: e.message });
        reject(err);
        this.die(err);
      });
      worker.on('exit', (code) => {
        this.exited = true;
        const err = new TnzipError(
          'BACKEND_UNAVAILABLE',
          `data-parallel training: worker ${index} exited (code ${code})`,
        );
        reject(err);
        this.die(err);
      });
    });
    // A rejection seen only through `request` must not count as unhandled.
    this.started.catch(() => undefined);
  }

  /** Starts worker `init.index` from `entry`. */
  static start(WorkerClass: typeof Worker, entry: WorkerEntry, init: TrainWorkerInit): TrainWorker {
    const w = new WorkerClass(entry.script, {
      eval: entry.eval,
      workerData: init,
      ...(entry.execArgv === undefined ? {} : { execArgv: entry.execArgv }),
    });
    return new TrainWorker(init.index, w);
  }

  private settle(m: Extract<TrainWorkerReply, { kind: 'done' | 'error' }>): void {
    const p = this.pending;
    if (p === null || p.id !== m.id) return;
    this.pending = null;
    if (m.kind === 'done') p.resolve(m);
    else p.reject(workerError(this.index, 'failed on its shard', m.error));
  }

  private die(e: TnzipError): void {
    if (this.dead !== null) return;
    this.dead = e;
    this.pending?.reject(e);
    this.pending = null;
  }

  /** Sends a shard; the batch arrays are transferred (detached here). */
  request(req: Omit<ShardRequest, 'id' | 'kind'>): Promise<ShardResult> {
    if (this.dead !== null) return Promise.reject(this.dead);
    if (this.pending !== null)
      return Promise.reject(new TnzipError('INVALID_ARGUMENT', `worker ${this.index} already has a shard`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      const msg: ShardRequest = { kind: 'step', id, ...req };
      this.worker.postMessage(msg, [req.x.buffer as ArrayBuffer, req.y.buffer as ArrayBuffer]);
    });
  }

  /** Ends the thread and waits for it to exit. Idempotent. */
  async terminate(): Promise<void> {
    this.dead ??= new TnzipError('BACKEND_UNAVAILABLE', `data-parallel training: worker ${this.index} was stopped`);
    if (!this.exited) await this.worker.terminate();
  }
}
