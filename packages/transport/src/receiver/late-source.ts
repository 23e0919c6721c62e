/**
 * A byte source that exists before its connection does: the assembler is
 * built with one input per expected stream, and each input is attached to a
 * socket when that socket connects and says what it is.
 */
import { MultifdError } from '@multifd/core';

export class LateSource implements AsyncIterable<Uint8Array> {
  #source: AsyncIterable<Uint8Array> | undefined;
  #error: unknown;
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(readonly label: string) {}

  get attached(): boolean {
    return this.#source !== undefined;
  }

  attach(source: AsyncIterable<Uint8Array>): void {
    if (this.#source) throw new MultifdError('ERR_MULTIFD_STATE', `${this.label} attached twice`);
    this.#source = source;
    this.#settle();
  }

  /** Fail a consumer still waiting for the connection. */
  fail(error: unknown): void {
    this.#error ??= error;
    this.#settle();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    if (!this.#source) {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push({ resolve, reject });
        this.#settle();
      });
    }
    yield* this.#source!;
  }

  #settle(): void {
    if (!this.#source && this.#error === undefined) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (this.#source) w.resolve();
      else w.reject(this.#error);
    }
  }
}
