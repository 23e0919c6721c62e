/**
 * The main thread's side of one channel worker. Jobs carry a sequence number;
 * a DONE reply settles the job's promise. An ERROR reply, an 'error' event or
 * a non-zero exit fails every pending job and calls `onFailure` once, so a
 * dying worker can never leave the main thread waiting.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { MultifdError, type MultifdErrorCode } from '@multifd/core';
import { unknownMessage, type ScanReply, type Seq, type WorkerReply } from './protocol.js';

/** What a DONE reply carries back. */
export interface JobDone {
  wireBytes: number;
  pages: number;
  buffer?: ArrayBuffer;
  scan?: ScanReply;
}

interface Pending {
  resolve: (done: JobDone) => void;
  reject: (e: unknown) => void;
}

export interface WorkerHandleOptions {
  /** Channel id, for messages. */
  channel: number;
  /** Called once with the first failure of this worker. */
  onFailure: (error: MultifdError) => void;
  /** How long READY may take (ms). */
  readyTimeout: number;
}

export class WorkerHandle<Job extends { code: string }> {
  readonly worker: Worker;
  readonly channel: number;
  #seq = 0;
  readonly #pending = new Map<Seq, Pending>();
  readonly #opts: WorkerHandleOptions;
  #failed: MultifdError | undefined;
  #ready: Promise<void>;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  readonly #exited: Promise<number>;

  constructor(file: URL, workerData: unknown, options: WorkerHandleOptions) {
    this.channel = options.channel;
    this.#opts = options;
    // Workers inherit the process's execArgv; --input-type (a script given with -e) is not valid for a file.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    this.worker = new Worker(file, { workerData, execArgv });
    let readyResolve!: () => void;
    let readyReject!: (e: unknown) => void;
    this.#ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.#ready.catch(() => undefined);
    const timer = setTimeout(
      () => this.#fail(new MultifdError('ERR_MULTIFD_TIMEOUT', `channel ${this.channel} worker not ready after ${options.readyTimeout} ms`, { channel: this.channel })),
      options.readyTimeout,
    );
    this.worker.on('message', (msg: WorkerReply) => {
      switch (msg.code) {
        case 'READY':
          clearTimeout(timer);
          readyResolve();
          return;
        case 'DONE': {
          const p = this.#pending.get(msg.seq);
          this.#pending.delete(msg.seq);
          p?.resolve({ wireBytes: msg.wireBytes, pages: msg.pages, ...(msg.buffer ? { buffer: msg.buffer } : {}), ...(msg.scan ? { scan: msg.scan } : {}) });
          return;
        }
        case 'CLOSED':
          this.#onClosed?.();
          return;
        case 'ERROR': {
          const e = msg.error;
          this.#fail(new MultifdError(e.code, e.message, { ...(e.location ?? {}), channel: this.channel, ...(e.packet !== undefined ? { packet: e.packet } : {}) }));
          return;
        }
        default:
          this.#fail(MultifdError.wrap(unknownMessage(`channel ${this.channel} worker`, msg), 'ERR_MULTIFD_WORKER', { channel: this.channel }));
      }
    });
    this.worker.on('error', (err) => this.#fail(MultifdError.wrap(err, 'ERR_MULTIFD_WORKER', { channel: this.channel })));
    this.#exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        clearTimeout(timer);
        if (code !== 0 && !this.#failed) {
          this.#fail(new MultifdError('ERR_MULTIFD_WORKER', `channel ${this.channel} worker exited with code ${code}`, { channel: this.channel }));
        }
        readyReject(this.#failed ?? new MultifdError('ERR_MULTIFD_WORKER', `channel ${this.channel} worker exited`));
        this.#failPending(this.#failed ?? new MultifdError('ERR_MULTIFD_WORKER', `channel ${this.channel} worker exited`, { channel: this.channel }));
        this.#onClosed?.();
        resolve(code);
      });
    });
  }

  /** Resolves when the worker said READY (its connection and codec are set up). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Jobs sent and not yet done. */
  get outstanding(): number {
    return this.#pending.size;
  }

  get failure(): MultifdError | undefined {
    return this.#failed;
  }

  /** Post a job; resolves with its DONE reply. `job.seq` is filled in. */
  run(job: Job, transfer: readonly TransferListItem[] = []): Promise<JobDone> {
    if (this.#failed) return Promise.reject(this.#failed);
    // postMessage drops a message whose transfer list holds a detached buffer, silently:
    // the job would never settle. A detached buffer here is a view used after its release.
    if (transfer.some(isDetached)) {
      return Promise.reject(new MultifdError('ERR_MULTIFD_STATE', `channel ${this.channel}: a ${job.code} job's buffer is detached (a view used after it was released)`, { channel: this.channel }));
    }
    const seq = ++this.#seq;
    const promise = new Promise<JobDone>((resolve, reject) => this.#pending.set(seq, { resolve, reject }));
    try {
      this.worker.postMessage({ ...job, seq }, transfer);
    } catch (e) {
      this.#pending.delete(seq);
      return Promise.reject(MultifdError.wrap(e, 'ERR_MULTIFD_WORKER', { channel: this.channel }));
    }
    return promise;
  }

  /** Ask the worker to finish its jobs, close its connection and exit. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#failed) throw this.#failed;
      const closed = new Promise<void>((resolve) => (this.#onClosed = resolve));
      this.worker.postMessage({ code: 'CLOSE' });
      await closed;
      if (this.#failed) throw this.#failed;
      await this.#exited;
    })();
    return this.#closed;
  }

  /** Stop now: the worker is terminated, pending jobs fail. */
  async terminate(reason?: MultifdError): Promise<void> {
    if (reason) this.#fail(reason);
    await this.worker.terminate();
  }

  #fail(error: MultifdError): void {
    if (this.#failed) return;
    this.#failed = error;
    this.#failPending(error);
    this.#opts.onFailure(error);
  }

  #failPending(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}

/** True for an ArrayBuffer whose memory was transferred away (no view of it can be made). */
function isDetached(item: TransferListItem): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength !== 0) return false;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}

/** Serialise an error for an ERROR reply. */
export function errorReply(error: unknown, packet?: number): Extract<WorkerReply, { code: 'ERROR' }> {
  const e = MultifdError.is(error) ? error : MultifdError.wrap(error, 'ERR_MULTIFD_WORKER');
  return {
    code: 'ERROR',
    error: {
      code: e.code,
      message: e.detail,
      location: { ...e.location },
      ...(packet !== undefined ? { packet } : e.location.packet !== undefined ? { packet: e.location.packet } : {}),
    },
  };
}
