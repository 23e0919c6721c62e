/**
 * The epoch discipline of a multifd receiver (QEMU's multifd_recv_sync_main).
 * A channel that reads a SYNC packet stops until the main stream reaches the
 * matching sync point (an EOS record, or a MULTIFD_FLUSH record on QEMU 9+);
 * the main stream, at a sync point, waits until every channel has read its
 * SYNC. So epoch k+1 of any stream is applied only after epoch k of all of
 * them, and a page re-sent in a later epoch always wins.
 *
 * Without a main stream the channels sync with each other instead.
 */
import { MultifdError } from '../errors.js';

interface Waiter {
  until: () => boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class SyncBarrier {
  /** SYNC packets read per channel slot. */
  readonly channelSyncs: number[];
  readonly #ended: boolean[];
  readonly #labels: string[];
  readonly #hasMain: boolean;
  /** Sync points the main stream has passed (released to the channels). */
  #released = 0;
  /** Set when the main stream has no more sync points. */
  #finalSyncs: number | undefined;
  #waiters: Waiter[] = [];
  #failure: unknown;

  readonly #onSyncPoint: ((epoch: number) => unknown) | undefined;

  constructor(labels: string[], hasMain: boolean, onSyncPoint?: (epoch: number) => unknown) {
    this.#onSyncPoint = onSyncPoint;
    this.#labels = labels;
    this.channelSyncs = labels.map(() => 0);
    this.#ended = labels.map(() => false);
    this.#hasMain = hasMain;
  }

  /** Sync points completed. */
  get epochs(): number {
    return this.#released;
  }

  /** Channel `slot` read a SYNC packet: wait until the epoch may end. */
  async channelSync(slot: number): Promise<void> {
    const k = ++this.channelSyncs[slot]!;
    this.#wake();
    if (this.#finalSyncs !== undefined && k > this.#finalSyncs) return; // extra SYNC: QEMU accepts it
    if (this.#hasMain) {
      await this.#wait(() => this.#released >= k || (this.#finalSyncs !== undefined && k > this.#finalSyncs));
    } else {
      await this.#wait(() => this.#released >= k);
    }
  }

  /** The main stream reached a sync point: wait for every channel's SYNC, then release them. */
  async mainSync(): Promise<void> {
    const k = this.#released + 1;
    await this.#wait(() => {
      for (let i = 0; i < this.channelSyncs.length; i++) {
        if (this.channelSyncs[i]! >= k) continue;
        if (this.#ended[i]) {
          throw new MultifdError(
            'ERR_MULTIFD_SYNC_MISMATCH',
            `${this.#labels[i]} ended after ${this.channelSyncs[i]} SYNC packets; the main stream's sync point ${k} needs one more`,
          );
        }
        return false;
      }
      return true;
    });
    // Everyone is at sync point k and nobody has gone past it: the moment a
    // proxy sends its own SYNCs downstream.
    await this.#onSyncPoint?.(k);
    this.#released = k;
    this.#wake();
  }

  /** The main stream has no more sync points: later SYNCs need no partner. */
  mainDone(): void {
    this.#finalSyncs = this.#released;
    this.#wake();
  }

  /** Channel `slot` has no more packets. */
  channelEnded(slot: number): void {
    this.#ended[slot] = true;
    this.#wake();
  }

  /** Fail every waiter (another stream failed). */
  abort(error: unknown): void {
    this.#failure ??= error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
  }

  #wait(until: () => boolean): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (until()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ until, resolve, reject }));
  }

  #wake(): void {
    if (!this.#hasMain) this.#releaseAmongChannels();
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      let done: boolean;
      try {
        done = w.until();
      } catch (e) {
        w.reject(e);
        continue;
      }
      if (done) w.resolve();
      else this.#waiters.push(w);
    }
  }

  /** No main stream: epoch k ends when every channel still running has read SYNC k. */
  #releaseAmongChannels(): void {
    for (;;) {
      const k = this.#released + 1;
      let reached = true;
      let anyReached = false;
      for (let i = 0; i < this.channelSyncs.length; i++) {
        if (this.channelSyncs[i]! >= k) anyReached = true;
        else if (!this.#ended[i]) reached = false;
      }
      if (!reached || !anyReached) return;
      this.#released = k;
    }
  }
}
