/**
 * The assembler's main-stream side: reads the main stream through the
 * parser and applies what it says: the RAMBlock list, zero and page
 * records, and the sync points (end-of-section records, or MULTIFD_FLUSH
 * records for QEMU 9+), in step with the channels through the SyncBarrier.
 * What it shares with the channel side comes in through MainStreamContext.
 */
import { MultifdError } from '../errors.js';
import type { MainItem, MainStreamParserOptions } from '../main-stream/parser.js';
import { MainStreamParser } from '../main-stream/parser.js';
import type { RamBlockTable, RAMBlockInfo } from '../ram/ramblock.js';
import { abortable } from './abortable.js';
import type { PageSink } from './page-sink.js';
import type { SyncBarrier } from './sync-barrier.js';
import type { AssembleReport, StreamInput } from './types.js';

export type MainReport = NonNullable<AssembleReport['main']>;

/** What the main stream's loop needs of the assembler. */
export interface MainStreamContext {
  sink: PageSink;
  barrier: SyncBarrier;
  parserOptions?: MainStreamParserOptions;
  signal: AbortSignal;
  /** The RAMBlock list arrived (the sink is told next). */
  blocksListed(table: RamBlockTable): void;
  /** The sink has the RAMBlocks: packets may be applied. */
  blocksReady(): void;
  /** Zero pages (fill 0) or pages of one byte value, as the assembler applies them. */
  fillZero(block: RAMBlockInfo, offsets: readonly number[], fill: number): Promise<void>;
  /** Pages that arrived with data. */
  mark(block: RAMBlockInfo, offsets: readonly number[], nonZero: boolean): void;
  /** Bytes read, for progress. */
  read(bytes: number): void;
  /** Something was applied: progress. */
  tick(): void;
}

/** What ended an epoch: EOS records (QEMU 7.2) or MULTIFD_FLUSH records (QEMU 9+). */
export type SyncMode = 'eos' | 'flush';

export class MainStreamLoop {
  readonly report: MainReport;
  syncMode: SyncMode | undefined;
  readonly #c: MainStreamContext;
  #table: RamBlockTable | undefined;

  constructor(
    readonly input: StreamInput,
    context: MainStreamContext,
  ) {
    this.#c = context;
    this.report = { label: input.label, bytes: 0, machine: undefined, zeroRecords: 0, pageRecords: 0, ramComplete: false };
  }

  async run(): Promise<void> {
    const input = this.input;
    // The parser puts its label in error locations, which outer layers cannot override.
    const parser = new MainStreamParser({ ...this.#c.parserOptions, label: input.label });
    let pending: Uint8Array | undefined;
    try {
      for await (const chunk of abortable(input.source, this.#c.signal)) {
        this.report.bytes += chunk.length;
        this.#c.read(chunk.length);
        const buf = pending ? concat(pending, chunk) : chunk;
        const { items, consumed } = parser.parse(buf);
        // A copy (not slice(), a view on a Buffer): the reader may reuse the chunk's memory.
        pending = consumed < buf.length ? new Uint8Array(buf.subarray(consumed)) : undefined;
        for (const item of items) {
          // Zero records come in runs, batched by the parser (see MAX_ZERO_RUN there): one fill and one mark per run.
          if (item.kind === 'zeros') await this.#onZeros(item.block, item.offsets, item.fill);
          else if (item.kind === 'zero') await this.#onZeros(item.block, [item.offset], item.fill);
          else await this.#onItem(item, parser);
        }
      }
      parser.finish(pending?.length ?? 0);
    } catch (e) {
      throw MultifdError.wrap(e, 'ERR_MULTIFD_MAIN_STREAM', { stream: input.label });
    } finally {
      if (!this.report.ramComplete) this.#c.barrier.mainDone();
    }
  }

  async #onZeros(block: string, offsets: readonly number[], fill: number): Promise<void> {
    await this.#c.fillZero(this.#table!.get(block), offsets, fill);
    this.report.zeroRecords += offsets.length;
    this.#c.tick();
  }

  async #onItem(item: MainItem, parser: MainStreamParser): Promise<void> {
    const c = this.#c;
    const main = this.report;
    switch (item.kind) {
      case 'configuration':
        main.machine = item.machine;
        return;
      case 'ramblocks':
        this.#table = parser.blocks;
        c.blocksListed(this.#table!);
        await c.sink.setBlocks(item.blocks);
        c.blocksReady();
        return;
      case 'page': {
        const block = this.#table!.get(item.block);
        c.sink.pageViews('main', block, [item.offset])[0]!.set(item.data);
        await c.sink.commitPages('main', block, [item.offset]);
        c.mark(block, [item.offset], true);
        main.pageRecords++;
        break;
      }
      case 'flush':
        if (this.syncMode === 'eos') {
          throw new MultifdError('ERR_MULTIFD_MAIN_STREAM', 'MULTIFD_FLUSH record in a stream that syncs on end-of-section', { byteOffset: item.at });
        }
        this.syncMode = 'flush';
        await c.barrier.mainSync();
        break;
      case 'eos':
        // A stream that syncs on FLUSH records has one before its first EOS.
        this.syncMode ??= 'eos';
        if (this.syncMode === 'eos') await c.barrier.mainSync();
        break;
      case 'command':
        return;
      case 'ram-complete':
        main.ramComplete = true;
        c.barrier.mainDone();
        break;
    }
    c.tick();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
