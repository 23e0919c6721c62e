/**
 * Writes the main stream a QEMU source would send for RAM (see format.ts):
 * header and configuration, the ram START section with the RAMBlock list,
 * PART/END sections of ZERO/PAGE records, each closed by EOS and a footer,
 * and QEMU_VM_EOF. No device state: this is what `send` puts on the main
 * connection, which our receiver (and decode) understand.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { latin1Bytes } from '../wire/bytes.js';
import { MultifdError } from '../errors.js';
import type { RAMBlockInfo } from '../ram/ramblock.js';
import { QEVM_MAGIC, QEVM_VERSION, RAM_FLAG, RAM_SECTION_VERSION, SECTION } from './format.js';

/** A growable big-endian byte builder. */
class Bytes {
  buf = new Uint8Array(4096);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.u8(v >>> 8);
    this.u8(v & 0xff);
  }
  u32(v: number): void {
    this.reserve(4);
    const b = this.buf;
    b[this.len] = v >>> 24;
    b[this.len + 1] = (v >>> 16) & 0xff;
    b[this.len + 2] = (v >>> 8) & 0xff;
    b[this.len + 3] = v & 0xff;
    this.len += 4;
  }
  u64(v: number): void {
    this.u32(Math.floor(v / 0x1_0000_0000));
    this.u32(v >>> 0);
  }
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  name(text: string): void {
    const b = latin1Bytes(text);
    if (b.length === 0 || b.length > 255) throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', `name ${JSON.stringify(text)} must have 1-255 bytes`);
    this.u8(b.length);
    this.bytes(b);
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

export interface MainStreamEncoderOptions {
  /** Machine type written in the configuration section. */
  machine?: string;
  /** Section id of "ram" (QEMU 7.2 uses 2). */
  sectionId?: number;
}

/** Builds a main stream piece by piece; each method returns the bytes to send. */
export class MainStreamEncoder {
  readonly #out = new Bytes();
  readonly #sectionId: number;
  readonly #machine: string;
  #lastBlock: string | undefined;
  #inSection = false;

  constructor(options: MainStreamEncoderOptions = {}) {
    this.#sectionId = options.sectionId ?? 2;
    this.#machine = options.machine ?? 'pc-i440fx-7.2';
  }

  /** File header, configuration section, and the ram START section listing `blocks`. */
  start(blocks: readonly RAMBlockInfo[], options: { flush?: boolean } = {}): Uint8Array {
    const o = this.#out;
    o.u32(QEVM_MAGIC);
    o.u32(QEVM_VERSION);
    o.u8(SECTION.CONFIGURATION);
    const machine = latin1Bytes(this.#machine);
    o.u32(machine.length);
    o.bytes(machine);
    o.u8(SECTION.START);
    o.u32(this.#sectionId);
    o.name('ram');
    o.u32(0);
    o.u32(RAM_SECTION_VERSION);
    const total = blocks.reduce((sum, b) => sum + b.usedLength, 0);
    o.u64(total + RAM_FLAG.MEM_SIZE);
    for (const b of blocks) {
      o.name(b.name);
      o.u64(b.usedLength);
    }
    // QEMU 10 syncs the channels at setup and marks it before the EOS.
    if (options.flush) this.flush();
    this.#inSection = true;
    return this.endOfSection();
  }

  /** Open a PART (or, for the last pass, END) section. */
  begin(kind: 'part' | 'end'): void {
    if (this.#inSection) throw new MultifdError('ERR_MULTIFD_STATE', 'begin() inside an open section');
    this.#out.u8(kind === 'part' ? SECTION.PART : SECTION.END);
    this.#out.u32(this.#sectionId);
    this.#inSection = true;
    this.#lastBlock = undefined;
  }

  /** A ZERO record: the page at `offset` of `block` is all zero. */
  zero(block: string, offset: number): void {
    this.#header(block, offset, RAM_FLAG.ZERO);
    this.#out.u8(0);
  }

  /** A PAGE record carrying the page on the main stream. */
  page(block: string, offset: number, data: Uint8Array): void {
    if (data.length !== PAGE_SIZE) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `page of ${data.length} bytes`);
    this.#header(block, offset, RAM_FLAG.PAGE);
    this.#out.bytes(data);
  }

  /** QEMU 9+'s MULTIFD_FLUSH record (not understood by QEMU 7.2). */
  flush(): void {
    this.#out.u64(RAM_FLAG.MULTIFD_FLUSH);
  }

  /** The pending bytes once they reach `threshold`, else undefined. */
  drainIfOver(threshold: number): Uint8Array | undefined {
    return this.#out.len >= threshold ? this.#out.take() : undefined;
  }

  /** Bytes written since the last take, without closing the section. */
  drain(): Uint8Array {
    return this.#out.take();
  }

  /** Close the open section with EOS and its footer; returns the pending bytes. */
  endOfSection(): Uint8Array {
    if (!this.#inSection) throw new MultifdError('ERR_MULTIFD_STATE', 'endOfSection() with no open section');
    this.#out.u64(RAM_FLAG.EOS);
    this.#out.u8(SECTION.FOOTER);
    this.#out.u32(this.#sectionId);
    this.#inSection = false;
    return this.#out.take();
  }

  /** A QEMU_VM_COMMAND between sections (QEMU 10: 11 = SWITCHOVER_START, no data). */
  command(command: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (this.#inSection) throw new MultifdError('ERR_MULTIFD_STATE', 'command() inside an open section');
    this.#out.u8(SECTION.COMMAND);
    this.#out.u16(command);
    this.#out.u16(data.length);
    this.#out.bytes(data);
    return this.#out.take();
  }

  /** QEMU_VM_EOF: the stream is over. */
  eof(): Uint8Array {
    this.#out.u8(SECTION.EOF);
    return this.#out.take();
  }

  #header(block: string, offset: number, flag: number): void {
    if (!this.#inSection) throw new MultifdError('ERR_MULTIFD_STATE', 'RAM record outside a section');
    if (offset % PAGE_SIZE !== 0) throw new MultifdError('ERR_MULTIFD_OFFSET_ALIGN', `offset 0x${offset.toString(16)} is not page-aligned`);
    if (block === this.#lastBlock) {
      this.#out.u64(offset + flag + RAM_FLAG.CONTINUE);
    } else {
      this.#out.u64(offset + flag);
      this.#out.name(block);
      this.#lastBlock = block;
    }
  }
}
