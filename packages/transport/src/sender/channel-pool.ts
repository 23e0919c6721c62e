/**
 * The sending channels: one worker per channel, each with a bounded window of
 * packets in flight. A packet goes to the channel with the fewest pending
 * jobs (QEMU hands each packet to the next idle channel); when every window
 * is full, dispatch waits. Pages are never copied here: a job names the
 * block and offsets, the worker reads the shared memory.
 */
import { MultifdError, type ScanPages } from '@multifd/core';
import type { SendJob } from '../worker/protocol.js';
import { WorkerHandle, type JobDone } from '../worker/worker-handle.js';
import type { SendWorkerData } from './send-worker.js';

export interface ChannelStats {
  id: number;
  packets: number;
  pages: number;
  wireBytes: number;
}

export class SendChannelPool {
  readonly #workers: WorkerHandle<SendJob>[];
  readonly #inflight: Set<Promise<unknown>>[];
  readonly #window: number;
  readonly stats: ChannelStats[];
  readonly #packetNum: BigInt64Array;
  #failure: MultifdError | undefined;
  #onStats: () => void;

  constructor(
    base: Omit<SendWorkerData, 'channel'>,
    channels: number,
    options: { window: number; readyTimeoutMs: number; onFailure: (e: MultifdError) => void; onStats: () => void },
  ) {
    this.#window = options.window;
    this.#onStats = options.onStats;
    const file = new URL('./send-worker.js', import.meta.url);
    // packet_num: one counter shared by every channel, as QEMU's is.
    const packetNum = base.packetNum ?? new BigInt64Array(new SharedArrayBuffer(8));
    this.#packetNum = packetNum;
    this.#workers = Array.from({ length: channels }, (_, channel) =>
      new WorkerHandle<SendJob>(file, { ...base, packetNum, channel } satisfies SendWorkerData, {
        channel,
        readyTimeout: options.readyTimeoutMs,
        onFailure: (e) => {
          this.#failure ??= e;
          options.onFailure(e);
        },
      }),
    );
    this.#inflight = this.#workers.map(() => new Set());
    this.stats = this.#workers.map((_, id) => ({ id, packets: 0, pages: 0, wireBytes: 0 }));
  }

  /** Every channel worker loaded its codec and set up its compression stream. */
  async ready(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.ready()));
  }

  /** Every channel connects and sends its initial packet. */
  async connect(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.run({ code: 'CONNECT', seq: 0 })));
  }

  /** Queue a packet of `offsets` of block number `block` on the least busy channel. */
  async packet(block: number, offsets: number[], extra: { zeroOffsets?: number[] } = {}): Promise<void> {
    const i = await this.#freeChannel();
    this.#track(i, this.#workers[i]!.run({ code: 'PACKET', seq: 0, num: this.#next(), block, offsets, ...extra }));
  }

  /** The least busy channel, once it has room in its window. */
  async #freeChannel(): Promise<number> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      let best = 0;
      for (let i = 1; i < this.#workers.length; i++) if (this.#inflight[i]!.size < this.#inflight[best]!.size) best = i;
      if (this.#inflight[best]!.size < this.#window) return best;
      await Promise.race(this.#inflight.flatMap((s) => [...s])).catch(() => undefined);
    }
  }

  /**
   * Queue a scan of `pages` of block number `block` on the least busy
   * channel; resolves once queued, with `done` for the worker's result.
   */
  async scan(block: number, pages: ScanPages, zeroInPackets = false): Promise<{ done: Promise<JobDone> }> {
    const i = await this.#freeChannel();
    const done = this.#workers[i]!.run({ code: 'SCAN', seq: 0, block, pages, ...(zeroInPackets ? { zeroInPackets } : {}) });
    this.#track(i, done);
    return { done };
  }

  /** Queue a packet of pages held in staging slot `slot` (a relay); resolves once queued, `sent` once written. */
  async pagesFromSlot(block: string, offsets: number[], slot: number, zeroOffsets?: number[]): Promise<{ sent: Promise<unknown> }> {
    const i = await this.#freeChannel();
    const sent = this.#track(i, this.#workers[i]!.run({ code: 'PAGES', seq: 0, num: this.#next(), block, offsets, slot, ...(zeroOffsets ? { zeroOffsets } : {}) }));
    return { sent };
  }

  /** Send a SYNC on every channel after its queued packets; resolves when all are sent. */
  async sync(): Promise<void> {
    if (this.#failure) throw this.#failure;
    const jobs = this.#workers.map((w, i) => this.#track(i, w.run({ code: 'SYNC', seq: 0, num: this.#next() })));
    await Promise.all(jobs);
  }

  /** Wait for every queued packet. */
  async drain(): Promise<void> {
    await Promise.all(this.#inflight.flatMap((s) => [...s]));
  }

  /** Finish: every worker flushes, closes its connection and exits. */
  async close(): Promise<void> {
    await this.drain();
    await Promise.all(this.#workers.map((w) => w.close()));
  }

  /** Stop every worker now. */
  async terminate(reason: MultifdError): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate(reason).catch(() => undefined)));
  }

  #next(): bigint {
    return Atomics.add(this.#packetNum, 0, 1n);
  }

  #track(i: number, job: Promise<JobDone>): Promise<unknown> {
    const set = this.#inflight[i]!;
    const tracked: Promise<unknown> = job.then(
      (done) => {
        set.delete(tracked);
        const s = this.stats[i]!;
        s.packets += done.scan ? done.scan.packets : 1;
        s.pages += done.pages;
        s.wireBytes += done.wireBytes;
        this.#onStats();
      },
      (e) => {
        set.delete(tracked);
        throw e;
      },
    );
    tracked.catch(() => undefined); // failures surface through onFailure and the next call
    set.add(tracked);
    return tracked;
  }
}
