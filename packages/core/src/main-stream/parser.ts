/**
 * Incremental parser of the RAM part of a main migration stream (see
 * format.ts). Feed it bytes as they arrive; it returns whole items and how
 * many bytes they took, and keeps nothing but its position in the grammar,
 * so a caller can hand it a socket's chunks or a file's. Every length is
 * checked before it is used and every RAM record is checked against the
 * RAMBlock list of the stream's MEM_SIZE record.
 *
 * Parsing stops after the RAM section's END (the device state that follows is
 * not parsed, only counted): the parser then reports `ram-complete` and treats
 * the rest of the stream as opaque bytes.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { latin1 } from '../wire/bytes.js';
import { MultifdError, type MultifdErrorCode } from '../errors.js';
import { RamBlockTable, checkPageOffset, type RAMBlockInfo } from '../ram/ramblock.js';
import {
  QEVM_MAGIC,
  QEVM_VERSION,
  RAM_FLAG,
  RAM_FLAGS_MASK,
  RAM_SECTION_VERSION,
  SECTION,
} from './format.js';

export type SectionKind = 'start' | 'part' | 'end';

export type MainItem =
  | { kind: 'configuration'; machine: string; at: number }
  | { kind: 'ramblocks'; blocks: RAMBlockInfo[]; at: number }
  | { kind: 'zero'; block: string; offset: number; fill: number; at: number }
  /** Several ZERO records in a row (same block, same fill): most of an idle guest's main stream. */
  | { kind: 'zeros'; block: string; offsets: number[]; fill: number; at: number }
  | { kind: 'page'; block: string; offset: number; data: Uint8Array; at: number }
  | { kind: 'flush'; at: number }
  | { kind: 'eos'; section: SectionKind; at: number }
  | { kind: 'command'; command: number; length: number; at: number }
  | { kind: 'ram-complete'; at: number };

export interface MainStreamParserOptions {
  /** Largest total RAM the MEM_SIZE record may announce (default 16 TiB). */
  maxRamBytes?: number;
  /** Most RAMBlocks the stream may list (default 4096). */
  maxBlocks?: number;
  /** Stream name in error locations: a file name or peer address (default "main stream"). */
  label?: string;
}

const NEED_MORE = Symbol('need-more');
const MAX_NAME = 255;
/**
 * Zero records gathered into one item at most. An idle guest's main stream is
 * mostly zero records (a 1 MiB read holds ~116k); arrays of that many offsets
 * land in V8's large-object space, whose growth and release cost a page fault
 * per 4 KiB and a TLB flush on this kind of VM. Runs of 4096 stay small.
 */
const MAX_ZERO_RUN = 4096;
/**
 * Append `item`, joining it to the zero records before it when they are of
 * the same block and fill value and the run stays within MAX_ZERO_RUN: the
 * one place zero records are batched (a consumer fills and marks a run at
 * once).
 */
function pushItem(items: MainItem[], item: MainItem): void {
  const last = items[items.length - 1];
  if (last && isZeroItem(last) && isZeroItem(item) && last.block === item.block && last.fill === item.fill) {
    const a = zeroOffsets(last);
    const b = zeroOffsets(item);
    if (a.length + b.length <= MAX_ZERO_RUN) {
      items[items.length - 1] = { kind: 'zeros', block: last.block, offsets: last.kind === 'zeros' ? (a.push(...b), a) : [...a, ...b], fill: last.fill, at: last.at };
      return;
    }
  }
  items.push(item);
}

type ZeroItem = Extract<MainItem, { kind: 'zero' | 'zeros' }>;

function isZeroItem(item: MainItem): item is ZeroItem {
  return item.kind === 'zero' || item.kind === 'zeros';
}

function zeroOffsets(item: ZeroItem): number[] {
  return item.kind === 'zeros' ? item.offsets : [item.offset];
}

/** Commands whose payload is a whole nested stream (postcopy): not handled. */
const MIG_CMD_PACKAGED = 7;

type State = 'magic' | 'top' | 'ram' | 'footer' | 'opaque';

/** Reads from one buffer; throws NEED_MORE rather than reading past its end. */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
  /** u64 as [high, low] words. */
  u64parts(): [number, number] {
    const high = this.u32();
    return [high, this.u32()];
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  peek(): number {
    this.need(1);
    return this.buf[this.pos]!;
  }
}

function u64(high: number, low: number): number {
  return high > 0x1fffff ? Number.POSITIVE_INFINITY : high * 0x1_0000_0000 + low;
}

export class MainStreamParser {
  readonly #maxRamBytes: number;
  readonly #maxBlocks: number;
  readonly #label: string;
  #state: State = 'magic';
  /** Absolute stream offset of the next byte to parse. */
  #offset = 0;
  #ramSectionId: number | undefined;
  #sectionId = 0;
  #section: SectionKind = 'start';
  #blocks: RamBlockTable | undefined;
  #lastBlock: RAMBlockInfo | undefined;
  #ramComplete = false;
  #machine: string | undefined;

  constructor(options: MainStreamParserOptions = {}) {
    this.#maxRamBytes = options.maxRamBytes ?? 2 ** 44;
    this.#maxBlocks = options.maxBlocks ?? 4096;
    this.#label = options.label ?? 'main stream';
  }

  /** Bytes parsed so far (the stream offset of the next byte). */
  get offset(): number {
    return this.#offset;
  }

  get ramComplete(): boolean {
    return this.#ramComplete;
  }

  get machine(): string | undefined {
    return this.#machine;
  }

  get blocks(): RamBlockTable | undefined {
    return this.#blocks;
  }

  /**
   * Parse whole items from `buf`. Returns them and the number of bytes they
   * took; the caller keeps the rest and passes it again with more bytes.
   */
  parse(buf: Uint8Array): { items: MainItem[]; consumed: number } {
    const items: MainItem[] = [];
    let pos = 0;
    if (this.#state === 'opaque') {
      this.#offset += buf.length;
      return { items, consumed: buf.length };
    }
    // One cursor for the whole buffer: a main stream is mostly 9-byte zero records.
    const c = new Cursor(buf, pos);
    for (;;) {
      c.pos = pos;
      let item: MainItem | undefined;
      try {
        item = this.#step(c);
      } catch (e) {
        if (e === NEED_MORE) break;
        throw MultifdError.wrap(e, 'ERR_MULTIFD_MAIN_STREAM', { stream: this.#label, byteOffset: this.#offset });
      }
      this.#offset += c.pos - pos;
      pos = c.pos;
      if (item) pushItem(items, item);
      if ((this.#state as State) === 'opaque') {
        this.#offset += buf.length - pos;
        pos = buf.length;
        break;
      }
    }
    return { items, consumed: pos };
  }

  /** The stream ended; anything but a finished RAM section is an error. */
  finish(leftover = 0): void {
    if (this.#ramComplete) return;
    const code: MultifdErrorCode = this.#state === 'magic' && this.#offset === 0 && leftover === 0 ? 'ERR_MULTIFD_INCOMPLETE' : 'ERR_MULTIFD_TRUNCATED';
    throw new MultifdError(code, 'main stream ends before the RAM section is complete', {
      stream: this.#label,
      byteOffset: this.#offset + leftover,
    });
  }

  #fail(code: MultifdErrorCode, detail: string): never {
    throw new MultifdError(code, detail);
  }

  /** One item (or a silent step such as a footer); throws NEED_MORE when short. */
  #step(c: Cursor): MainItem | undefined {
    const at = this.#offset;
    switch (this.#state) {
      case 'magic': {
        const magic = c.u32();
        if (magic !== QEVM_MAGIC) this.#fail('ERR_MULTIFD_BAD_MAGIC', `main stream magic 0x${magic.toString(16)}, expected 0x5145564d (QEVM)`);
        const version = c.u32();
        if (version !== QEVM_VERSION) this.#fail('ERR_MULTIFD_BAD_VERSION', `main stream version ${version}, expected 3`);
        this.#state = 'top';
        return undefined;
      }
      case 'top':
        return this.#section_(c, at);
      case 'ram':
        return this.#record(c, at);
      case 'footer': {
        if (c.peek() === SECTION.FOOTER) {
          c.u8();
          const id = c.u32();
          if (id !== this.#sectionId) this.#fail('ERR_MULTIFD_MAIN_STREAM', `section footer for section ${id}, expected ${this.#sectionId}`);
        }
        if (this.#section === 'end') {
          this.#ramComplete = true;
          this.#state = 'opaque';
          return { kind: 'ram-complete', at };
        }
        this.#state = 'top';
        return undefined;
      }
      case 'opaque':
        return undefined;
    }
  }

  #section_(c: Cursor, at: number): MainItem | undefined {
    const type = c.u8();
    switch (type) {
      case SECTION.CONFIGURATION: {
        const len = c.u32();
        if (len === 0 || len > MAX_NAME) this.#fail('ERR_MULTIFD_MAIN_STREAM', `machine name of ${len} bytes`);
        const machine = latin1(c.bytes(len));
        while (c.peek() === SECTION.SUBSECTION) this.#configurationSubsection(c);
        this.#machine = machine;
        return { kind: 'configuration', machine, at };
      }
      case SECTION.START: {
        const id = c.u32();
        const idstr = this.#name(c, 'section idstr');
        c.u32(); // instance_id
        const version = c.u32();
        if (idstr !== 'ram') this.#fail('ERR_MULTIFD_UNSUPPORTED', `iterative section ${JSON.stringify(idstr)} (only "ram" is handled)`);
        if (this.#ramSectionId !== undefined) this.#fail('ERR_MULTIFD_MAIN_STREAM', 'a second "ram" section starts');
        if (version !== RAM_SECTION_VERSION) this.#fail('ERR_MULTIFD_UNSUPPORTED', `ram section version ${version}, expected 4`);
        this.#ramSectionId = id;
        this.#enter(id, 'start');
        return undefined;
      }
      case SECTION.PART:
      case SECTION.END: {
        const id = c.u32();
        if (this.#ramSectionId === undefined) this.#fail('ERR_MULTIFD_MAIN_STREAM', `section ${id} continues before any section started`);
        if (id !== this.#ramSectionId) this.#fail('ERR_MULTIFD_UNSUPPORTED', `iterative section ${id} is not "ram" (section ${this.#ramSectionId})`);
        this.#enter(id, type === SECTION.PART ? 'part' : 'end');
        return undefined;
      }
      case SECTION.COMMAND: {
        const command = c.u16();
        const length = c.u16();
        if (command === MIG_CMD_PACKAGED) this.#fail('ERR_MULTIFD_UNSUPPORTED', 'packaged (postcopy) command in the main stream');
        c.bytes(length);
        return { kind: 'command', command, length, at };
      }
      case SECTION.EOF:
        this.#fail('ERR_MULTIFD_INCOMPLETE', 'main stream ends (QEMU_VM_EOF) before the RAM section is complete');
      // falls through: #fail never returns
      case SECTION.FULL:
        this.#fail('ERR_MULTIFD_UNSUPPORTED', 'device state before the RAM section is complete');
      // falls through
      default:
        this.#fail('ERR_MULTIFD_MAIN_STREAM', `unknown section type 0x${type.toString(16)}`);
    }
  }

  #enter(id: number, section: SectionKind): void {
    this.#sectionId = id;
    this.#section = section;
    this.#state = 'ram';
  }

  /** The configuration subsections QEMU 7.2-10.0 may send (capability-dependent). */
  #configurationSubsection(c: Cursor): void {
    c.u8();
    const name = this.#name(c, 'subsection name');
    c.u32(); // version_id
    switch (name) {
      case 'configuration/target-page-bits':
        c.u32();
        return;
      case 'configuration/capabilities': {
        const count = c.u32();
        if (count > 64) this.#fail('ERR_MULTIFD_MAIN_STREAM', `${count} capabilities in the configuration section`);
        for (let i = 0; i < count; i++) c.bytes(c.u8());
        return;
      }
      case 'configuration/uuid':
        c.bytes(16);
        return;
      default:
        this.#fail('ERR_MULTIFD_UNSUPPORTED', `configuration subsection ${JSON.stringify(name)}`);
    }
  }

  #name(c: Cursor, what: string): string {
    const len = c.u8();
    if (len === 0) this.#fail('ERR_MULTIFD_MAIN_STREAM', `empty ${what}`);
    return latin1(c.bytes(len));
  }

  #record(c: Cursor, at: number): MainItem | undefined {
    const high = c.u32();
    const low = c.u32();
    const flags = low & RAM_FLAGS_MASK;
    const addr = u64(high, low - flags);
    switch (flags & ~RAM_FLAG.CONTINUE) {
      case RAM_FLAG.MEM_SIZE:
        return this.#memSize(c, addr, at);
      case RAM_FLAG.ZERO: {
        const block = this.#recordBlock(c, flags, addr);
        const fill = c.u8();
        this.#lastBlock = block;
        const run = this.#zeroRun(c, block, fill, addr);
        if (run.length === 1) return { kind: 'zero', block: block.name, offset: addr, fill, at };
        return { kind: 'zeros', block: block.name, offsets: run, fill, at };
      }
      case RAM_FLAG.PAGE: {
        const block = this.#recordBlock(c, flags, addr);
        const data = new Uint8Array(c.bytes(PAGE_SIZE)); // a copy, also of a Buffer (whose slice() is a view)
        this.#lastBlock = block;
        return { kind: 'page', block: block.name, offset: addr, data, at };
      }
      case RAM_FLAG.EOS:
        this.#state = 'footer';
        return { kind: 'eos', section: this.#section, at };
      case RAM_FLAG.MULTIFD_FLUSH:
        return { kind: 'flush', at };
      case RAM_FLAG.XBZRLE:
      case RAM_FLAG.COMPRESS_PAGE:
      case RAM_FLAG.HOOK:
        this.#fail('ERR_MULTIFD_UNSUPPORTED', `RAM record with flags 0x${flags.toString(16)} (xbzrle, compress or RDMA)`);
      // falls through
      default:
        this.#fail('ERR_MULTIFD_MAIN_STREAM', `unknown combination of RAM flags 0x${flags.toString(16)}`);
    }
  }

  /**
   * `first` and the ZERO|CONTINUE records with the same fill that follow, as far as the
   * buffer holds whole ones (9 bytes each: u64 offset|flags, fill byte) and
   * at most MAX_ZERO_RUN of them. A record that does not fit the run is left
   * for the next step.
   */
  #zeroRun(c: Cursor, block: RAMBlockInfo, fill: number, first: number): number[] {
    const run: number[] = [first];
    const b = c.buf;
    const want = RAM_FLAG.ZERO | RAM_FLAG.CONTINUE;
    let p = c.pos;
    while (p + 9 <= b.length && run.length < MAX_ZERO_RUN) {
      const high = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      const low = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      if ((low & RAM_FLAGS_MASK) !== want || b[p + 8] !== fill) break;
      const addr = u64(high, low - want);
      checkPageOffset(block, addr);
      run.push(addr);
      p += 9;
    }
    c.pos = p;
    return run;
  }

  #memSize(c: Cursor, total: number, at: number): MainItem {
    if (this.#blocks) this.#fail('ERR_MULTIFD_MAIN_STREAM', 'a second MEM_SIZE record');
    if (!(total <= this.#maxRamBytes)) this.#fail('ERR_MULTIFD_TOO_LARGE', `MEM_SIZE announces ${total} bytes of RAM, limit ${this.#maxRamBytes}`);
    const blocks: RAMBlockInfo[] = [];
    let sum = 0;
    while (sum < total) {
      if (blocks.length >= this.#maxBlocks) this.#fail('ERR_MULTIFD_TOO_LARGE', `more than ${this.#maxBlocks} RAMBlocks`);
      const name = this.#name(c, 'RAMBlock name');
      const [high, low] = c.u64parts();
      const usedLength = u64(high, low);
      if (usedLength === 0 || usedLength > total - sum) {
        this.#fail('ERR_MULTIFD_MAIN_STREAM', `RAMBlock ${JSON.stringify(name)} of ${usedLength} bytes does not fit the announced ${total}`);
      }
      blocks.push({ name, usedLength });
      sum += usedLength;
    }
    this.#blocks = new RamBlockTable(blocks);
    return { kind: 'ramblocks', blocks, at };
  }

  #recordBlock(c: Cursor, flags: number, addr: number): RAMBlockInfo {
    if (!this.#blocks) this.#fail('ERR_MULTIFD_MAIN_STREAM', 'RAM record before the MEM_SIZE record');
    let block: RAMBlockInfo;
    if (flags & RAM_FLAG.CONTINUE) {
      if (!this.#lastBlock) this.#fail('ERR_MULTIFD_MAIN_STREAM', 'CONTINUE flag on the first RAM record');
      block = this.#lastBlock;
    } else {
      block = this.#blocks.get(this.#name(c, 'RAMBlock name'));
    }
    checkPageOffset(block, addr);
    return block;
  }
}
